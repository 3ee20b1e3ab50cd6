// Command go-verify is an independent checker for the ledger's signed checkpoints and RFC 6962/9162
// proofs, using the Go checksum database packages (golang.org/x/mod/sumdb/note and sumdb/tlog).
// It reads one JSON request on stdin, prints one JSON result per item, and exits 1 if any fails.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	LeafHash string   `json:"leafHash"`
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	Root     string   `json:"root"`
	Proof    []string `json:"proof"`
}

type consistency struct {
	Size1 int64    `json:"size1"`
	Size2 int64    `json:"size2"`
	Root1 string   `json:"root1"`
	Root2 string   `json:"root2"`
	Proof []string `json:"proof"`
}

type request struct {
	Vkey        string        `json:"vkey"`
	SignedNote  *string       `json:"signedNote"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

type result struct {
	Kind  string `json:"kind"`
	Item  int    `json:"item"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// For the note: its text and, if it is a checkpoint body, the parsed lines.
	Text     string `json:"text,omitempty"`
	Origin   string `json:"origin,omitempty"`
	TreeSize int64  `json:"treeSize,omitempty"`
	RootHash string `json:"rootHash,omitempty"`
}

func hash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func hashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := hash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func openCheckpoint(vkey, signed string) result {
	r := result{Kind: "note"}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK, r.Text = true, n.Text
	lines := strings.Split(n.Text, "\n")
	if len(lines) == 4 && lines[3] == "" {
		size, err1 := strconv.ParseInt(lines[1], 10, 64)
		root, err2 := base64.StdEncoding.DecodeString(lines[2])
		if err1 == nil && err2 == nil {
			r.Origin, r.TreeSize, r.RootHash = lines[0], size, hex.EncodeToString(root)
		}
	}
	return r
}

func checkInclusion(i int, c inclusion) result {
	r := result{Kind: "inclusion", Item: i}
	leaf, err1 := hash(c.LeafHash)
	root, err2 := hash(c.Root)
	proof, err3 := hashes(c.Proof)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			r.Error = err.Error()
			return r
		}
	}
	// CheckRecord(proof, tree size, tree hash, record index, record hash).
	if err := tlog.CheckRecord(tlog.RecordProof(proof), c.Size, root, c.Index, leaf); err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	return r
}

func checkConsistency(i int, c consistency) result {
	r := result{Kind: "consistency", Item: i}
	root1, err1 := hash(c.Root1)
	root2, err2 := hash(c.Root2)
	proof, err3 := hashes(c.Proof)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			r.Error = err.Error()
			return r
		}
	}
	// CheckTree(proof, new size, new hash, old size, old hash).
	if err := tlog.CheckTree(tlog.TreeProof(proof), c.Size2, root2, c.Size1, root1); err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	return r
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "go-verify: bad request:", err)
		os.Exit(2)
	}
	results := []result{}
	if req.SignedNote != nil {
		results = append(results, openCheckpoint(req.Vkey, *req.SignedNote))
	}
	for i, c := range req.Inclusion {
		results = append(results, checkInclusion(i, c))
	}
	for i, c := range req.Consistency {
		results = append(results, checkConsistency(i, c))
	}
	ok := true
	for _, r := range results {
		ok = ok && r.OK
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"ok": ok, "results": results}); err != nil {
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
