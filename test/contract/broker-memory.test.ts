import { createBroker } from '../../src/broker/create-broker.js';
import { MemoryBus } from '../../src/broker/memory-bus.js';
import { brokerContract } from './broker-suite.js';

// One bus per test: its three replicas form a cluster inside this process.
brokerContract('memory', () => {
  const bus = new MemoryBus();
  return (options) => createBroker({ kind: 'memory' }, { ...options, bus });
});
