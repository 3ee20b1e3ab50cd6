// RFC 8785 canonical JSON: the RFC's published examples, its number vectors, and properties.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalize } from "../../src/core/canonical/jcs.ts";

describe("RFC 8785 published examples", () => {
  test("section 3.2.2 sample object", () => {
    const input = `{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}`;
    expect(canonicalize(JSON.parse(input))).toBe(`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA'B\\"\\\\\\\\\\"/"}`);
  });

  test("section 3.2.3 property sorting by UTF-16 code units", () => {
    const input = `{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}`;
    const expected = `{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}`;
    expect(canonicalize(JSON.parse(input))).toBe(expected);
  });

  // Appendix B: IEEE 754 bit patterns and their canonical text.
  const ieee: Array<[string, string]> = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  for (const [hex, expected] of ieee) {
    test(`number 0x${hex} -> ${expected}`, () => {
      const n = Buffer.from(hex, "hex").readDoubleBE(0);
      expect(canonicalize(n)).toBe(expected);
    });
  }
});

describe("refusals", () => {
  test.each([[Number.NaN], [Number.POSITIVE_INFINITY], [undefined], [10n], ["\ud800"], [{ a: "x\udc00" }]])("%p is refused", (v) => {
    expect(() => canonicalize(v)).toThrow(TypeError);
  });
  test("undefined object members are omitted, as JSON.stringify does", () => {
    expect(canonicalize({ b: 1, a: undefined })).toBe('{"b":1}');
  });
});

describe("properties", () => {
  const json = fc.jsonValue({ noUnicodeString: false });
  test("canonical form is a fixed point of parse + canonicalize", () => {
    fc.assert(fc.property(json, (v) => canonicalize(JSON.parse(canonicalize(v))) === canonicalize(v)), { numRuns: 500 });
  });
  test("the canonical form does not depend on key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        return canonicalize(obj) === canonicalize(reversed);
      }),
      { numRuns: 300 },
    );
  });
  test("the canonical form is valid JSON with the same value", () => {
    fc.assert(fc.property(json, (v) => expect(JSON.parse(canonicalize(v))).toEqual(JSON.parse(JSON.stringify(v)))), { numRuns: 300 });
  });
});

describe("string quoting", () => {
  test("quote(s) equals JSON.stringify(s) for every well-formed string, including the fast path", () => {
    const { quote } = require("../../src/core/canonical/jcs.ts") as typeof import("../../src/core/canonical/jcs.ts");
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => quote(s) === JSON.stringify(s)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: "binary-ascii" }), (s) => quote(s) === JSON.stringify(s)), { numRuns: 2000 });
    for (const s of ["", "plain", 'q"uote', "back\\slash", "tab\t", "\u001f", "\u2028", "😀", "é"]) expect(quote(s)).toBe(JSON.stringify(s));
  });
});
