// The environment of the jest tests (their setupFiles) and of the fuzzer: their own database and a fixed signing secret.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/pulsecart_test';
process.env.JWT_SECRET ??= 'pulsecart-test-secret-0123456789';
process.env.LOG_LEVEL ??= 'silent';
// Sales of thousands of buyers, dozens of bad requests from one buyer, the fuzzer's flood, all from
// 127.0.0.1: the rate limits would refuse them. The rate-limit tests set their own limits.
process.env.RATE_LIMIT_USER_POINTS ??= '1000000';
process.env.RATE_LIMIT_IP_POINTS ??= '1000000';
process.env.RATE_LIMIT_STATUS_POINTS ??= '1000000';
// Workers started by tests run on throwaway task queues: the reconciliation schedule stays with the real ones.
process.env.RECONCILE_SCHEDULE ??= 'false';
