import { createBroker } from '../../src/broker/create-broker.js';
import { describeWithService } from '../helpers/requirements.js';
import { brokerContract } from './broker-suite.js';

const servers = ['nats://127.0.0.1:4222'];

await describeWithService('NATS', 4222, () => {
  brokerContract('nats', () => (options) => createBroker({ kind: 'nats', servers }, options));
});
