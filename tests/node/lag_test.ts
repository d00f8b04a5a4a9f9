import assert from "node:assert/strict";
import { LAG_DEFAULTS, LagEstimator } from "../../src/node/lag.ts";

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
  // 0 + 1 s margin is below the 1.5 s floor.
  assert.equal(lag.windowMs(10_000), 1_500);
});

Deno.test("LagEstimator widens at once when a lag above the window shows, and narrows by half a half-life later", () => {
  const lag = estimator();
  for (let i = 0; i < 63; i++) lag.observe(0, 0);
  lag.observe(4_000, 0);
  // The quantile 0.9 of 63 zeros and one 4 s is 0; the peak is 4 s: 4 + 1.
  assert.equal(lag.windowMs(0), 5_000);
  // One half-life (2 min) later the peak counts 2 s.
  assert.equal(lag.windowMs(120_000), 3_000);
  // Two: 1 s, plus the margin: 2 s.
  assert.equal(lag.windowMs(240_000), 2_000);
  // Never above the ceiling, whatever was seen.
  lag.observe(25_000, 240_000);
  assert.equal(lag.windowMs(240_000), 10_000);
});

Deno.test("LagEstimator keeps covering lags that recur in more than one observation in ten, however old its peak", () => {
  const lag = estimator({ size: 10 });
  // Six zeros and four of 3 s: the quantile 0.9 of the ten is 3 s.
  for (let i = 0; i < 6; i++) lag.observe(0, 0);
  for (let i = 0; i < 4; i++) lag.observe(3_000, 0);
  assert.equal(lag.estimateMs(3_600_000), 3_000);
  assert.equal(lag.windowMs(3_600_000), 4_000);
  // Ten newer zeros push them out of the ring.
  for (let i = 0; i < 10; i++) lag.observe(0, 3_600_000);
  assert.equal(lag.windowMs(3_600_000), 1_500);
});

Deno.test("LagEstimator clamps an observation to three ceilings and below at zero", () => {
  const lag = estimator({ halfLifeMs: 1_000 });
  lag.observe(-5_000, 0);
  assert.equal(lag.estimateMs(0), 0);
  lag.observe(1_000_000, 0);
  assert.equal(lag.estimateMs(0), 30_000);
});
