import { createLogger } from '../../src/logger';

export const silentLogger = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
