/** The one way Chorus connects to MongoDB with mongoose: the store, and the operator commands that write what it reads (`src/ops`). */
import mongoose, { type Connection } from 'mongoose';
import { guard } from './guard.js';

/** Connects to the database the connection string `url` names; rejects with `StoreUnavailableError` when it cannot be reached. */
export function connectMongo(url: string): Promise<Connection> {
  return guard(() =>
    mongoose
      .createConnection(url, {
        serverSelectionTimeoutMS: 5000,
        // Fail fast instead of queueing: the connection is open before any model is used, and a queued
        // call during an outage would only turn into a later, vaguer timeout.
        bufferCommands: false,
        // An acknowledged message or account survives the loss of the primary (the port promises "durably").
        writeConcern: { w: 'majority', journal: true },
        appName: 'chorus',
      })
      .asPromise(),
  );
}
