import { createBroker } from '../../src/broker/create-broker.js';
import { describeWithService } from '../helpers/requirements.js';
import { brokerContract } from './broker-suite.js';

const url = 'redis://127.0.0.1:6379';

await describeWithService('Redis', 6379, () => {
  brokerContract('redis', () => (options) => createBroker({ kind: 'redis', url }, options));
});
