/* global db, print, process */
// Runs once, when MongoDB starts on an empty data volume (the image runs /docker-entrypoint-initdb.d/*.js
// with mongosh, as the root user). Creates the user Chorus connects as, with readWrite on its own
// database only, from MONGO_DB_APP_USERNAME / MONGO_DB_APP_PASSWORD / MONGO_DB_APP_DATABASE, as
// docker-chat did. Kubernetes mounts a copy: k8s/base/mongo/create-app-user.js (kept identical by
// test/deploy/mongo-init.test.ts, since kustomize reads no file outside its folder).
const username = process.env.MONGO_DB_APP_USERNAME;
const password = process.env.MONGO_DB_APP_PASSWORD;
const database = process.env.MONGO_DB_APP_DATABASE || 'chorus';
if (!username || !password) {
  throw new Error('MONGO_DB_APP_USERNAME and MONGO_DB_APP_PASSWORD must be set to create the Chorus user');
}
db.getSiblingDB(database).createUser({ user: username, pwd: password, roles: [{ role: 'readWrite', db: database }] });
print(`Created MongoDB user "${username}" with readWrite on "${database}".`);
