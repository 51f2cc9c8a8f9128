// Preloaded into a server process (NODE_OPTIONS="--import <this file>") to
// give it a clock that disagrees with its peers' by MEMORYD_TEST_CLOCK_SKEW_MS
// milliseconds, as replicas on different hosts have.
const skewMs = Number(process.env.MEMORYD_TEST_CLOCK_SKEW_MS ?? 0);
const realNow = Date.now;
Date.now = () => realNow() + skewMs;
