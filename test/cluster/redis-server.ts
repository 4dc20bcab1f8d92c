// The cluster tests' redis-server: the benchmark's helper (one implementation for both).
export { NO_REDIS, startRedis, type TestRedis } from '../../bench/lib/redis-server.ts';
