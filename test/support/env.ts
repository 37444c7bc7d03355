// Tests run against their own database and a fixed signing secret.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/pulsecart_test';
process.env.JWT_SECRET ??= 'pulsecart-test-secret-0123456789';
process.env.LOG_LEVEL ??= 'silent';
