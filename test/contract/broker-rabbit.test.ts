import { createBroker } from '../../src/broker/create-broker.js';
import { describeWithService } from '../helpers/requirements.js';
import { brokerContract } from './broker-suite.js';

const url = 'amqp://guest:guest@127.0.0.1:5672';

await describeWithService('RabbitMQ', 5672, () => {
  brokerContract('rabbit', () => (options) => createBroker({ kind: 'rabbit', url }, options));
});
