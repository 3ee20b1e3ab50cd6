// Server time for recordedAt: microseconds since the epoch, strictly increasing within the process.

export type MicroClock = () => number;

export function systemMicroClock(): MicroClock {
  let last = 0;
  return () => {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    last = now > last ? now : last + 1;
    return last;
  };
}
