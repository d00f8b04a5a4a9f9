import assert from "node:assert/strict";
import { LAG_DEFAULTS, LagEstimator, LagObserver } from "../../src/node/lag.ts";

const estimator = (overrides: Partial<typeof LAG_DEFAULTS> = {}) =>
  new LagEstimator({ ...LAG_DEFAULTS, ceilingMs: 10_000, ...overrides });

Deno.test("LagEstimator waits the whole ceiling before it has observed anything", () => {
  const lag = estimator();
  assert.equal(lag.windowMs(0), 10_000);
  assert.equal(lag.count, 0);
});

Deno.test("LagEstimator settles for the floor when every comment showed at the first read", () => {
  const lag = estimator();
  for (let i = 0; i < 10; i++) lag.observe(0, i * 1_000);
  // 0 + 1 s margin: the 1 s floor.
  assert.equal(lag.windowMs(10_000), 1_000);
});

Deno.test("LagEstimator widens at once when a lag above the window shows, and narrows by half a half-life later", () => {
  const lag = estimator();
  for (let i = 0; i < 63; i++) lag.observe(0, 0);
  lag.observe(4_000, 0);
  // The quantile 0.8 of 63 zeros and one 4 s is 0; the peak is 4 s: 4 + 1.
  assert.equal(lag.windowMs(0), 5_000);
  // One half-life (30 s) later the peak counts 2 s.
  assert.equal(lag.windowMs(30_000), 3_000);
  // Two: 1 s, plus the margin: 2 s.
  assert.equal(lag.windowMs(60_000), 2_000);
  // Never above the ceiling, whatever was seen.
  lag.observe(25_000, 60_000);
  assert.equal(lag.windowMs(60_000), 10_000);
});

Deno.test("LagEstimator keeps covering lags that recur in more than one observation in five, however old its peak", () => {
  const lag = estimator({ size: 10 });
  // Six zeros and four of 3 s: the quantile 0.8 of the ten is 3 s.
  for (let i = 0; i < 6; i++) lag.observe(0, 0);
  for (let i = 0; i < 4; i++) lag.observe(3_000, 0);
  assert.equal(lag.estimateMs(3_600_000), 3_000);
  assert.equal(lag.windowMs(3_600_000), 4_000);
  // Ten newer zeros push them out of the ring.
  for (let i = 0; i < 10; i++) lag.observe(0, 3_600_000);
  // (The 3 s peak, an hour old, adds nanoseconds.)
  assert.equal(Math.round(lag.windowMs(3_600_000)), 1_000);
});

Deno.test("LagEstimator clamps an observation to three ceilings and below at zero", () => {
  const lag = estimator({ halfLifeMs: 1_000 });
  lag.observe(-5_000, 0);
  assert.equal(lag.estimateMs(0), 0);
  lag.observe(1_000_000, 0);
  assert.equal(lag.estimateMs(0), 30_000);
});

const read = (
  serverTime: number,
  ids: [number, number][],
  fresh: number[] = ids.map(([id]) => id),
) => ({
  serverTime,
  comments: ids.map(([id, createdAt]) => ({ id, createdAt })),
  fresh: new Set(fresh),
});

/** An estimator at the defaults and an observer that feeds it, the first read already taken at `t`. */
const observing = (t: number) => {
  const lag = estimator();
  const o = new LagObserver(lag);
  o.observeRead(read(t, []));
  return { lag, o };
};

Deno.test("LagObserver: the first read teaches nothing; a comment shown by the first read after its creation lagged 0", () => {
  const lag = estimator();
  const o = new LagObserver(lag);
  o.observeRead(read(10_000, [[1, 2_000]]));
  assert.equal(lag.count, 0);
  o.observeRead(read(15_000, [[1, 2_000], [2, 12_000]], [2]));
  assert.equal(lag.count, 1);
  assert.equal(lag.estimateMs(15_000), 0);
  assert.equal(lag.windowMs(15_000), 1_000);
});

Deno.test("LagObserver: a comment a read sent a second after its creation missed lagged at least until that read", () => {
  const { lag, o } = observing(10_000);
  // Created at 10 s: the read at 11 s (a second later) does not show it.
  o.observeRead(read(11_000, []));
  o.observeRead(read(20_000, [[5, 10_000]]));
  // Proven: 11 − 10 = 1 s (not the 10 s up to the read that showed it).
  assert.equal(lag.estimateMs(20_000), 1_000);
  // Within the second of its creation a miss proves nothing.
  const other = estimator();
  const p = new LagObserver(other);
  p.observeRead(read(10_000, []));
  p.observeRead(read(10_900, []));
  p.observeRead(read(20_000, [[6, 10_000]]));
  assert.equal(other.estimateMs(20_000), 0);
});

Deno.test("LagObserver: an own comment a read does not show widens the window at once, before it ever shows", () => {
  const { lag, o } = observing(0);
  o.noteOwn(9, 1_000);
  assert.equal(o.unlisted, 1);
  o.observeRead(read(5_000, []));
  // Missing 4 s after its creation: at least 4 s of lag, plus the 1 s margin.
  assert.equal(lag.windowMs(5_000), 5_000);
  o.observeRead(read(8_000, [[9, 1_000]]));
  assert.equal(o.unlisted, 0);
  // Shown at last: proven by the read at 5 s that missed it, 5 − 1 = 4 s
  // (not the 7 s to the read that showed it).
  assert.equal(lag.estimateMs(8_000), 4_000);
  assert.equal(lag.windowMs(8_000), 5_000);
});

Deno.test("LagObserver: an own comment missing for more than three ceilings is no longer counted as lag", () => {
  const { lag, o } = observing(0);
  o.noteOwn(9, 1_000);
  o.observeRead(read(31_001, []));
  assert.equal(o.unlisted, 0);
  assert.equal(lag.count, 0);
});
