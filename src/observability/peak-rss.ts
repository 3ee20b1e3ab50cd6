// This process's peak resident memory in bytes: the kernel's VmHWM on Linux (ru_maxrss carries over
// the parent's high-water mark across exec), resourceUsage elsewhere.
import { readFileSync } from "node:fs";

export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // no /proc (not Linux): fall back to getrusage below
  }
  return process.resourceUsage().maxRSS * 1024;
}
