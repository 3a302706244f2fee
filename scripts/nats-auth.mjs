#!/usr/bin/env node
// Prints the nats-server `authorization` block for a deployment: one user per service with the
// subject permissions of packages/platform/src/nats-permissions.ts (build first: npm run build).
// Passwords come from NATS_PASSWORD_<SERVICE> (e.g. NATS_PASSWORD_GATEWAY); a service without
// one is left out. Paste the output into the NATS server configuration (JSON is valid there),
// and give each service its password as NATS_PASSWORD (the chart: secrets.natsPasswords).
import { NATS_USERS, natsServerUsers } from '../packages/platform/dist/nats-permissions.js';

const passwords = Object.fromEntries(NATS_USERS.map((u) => [u, process.env[`NATS_PASSWORD_${u.toUpperCase()}`]]).filter(([, p]) => p));
const missing = NATS_USERS.filter((u) => !passwords[u]);
if (missing.length) console.error(`nats-auth: no password for ${missing.join(', ')} (set NATS_PASSWORD_<SERVICE>); left out`);
console.log(JSON.stringify({ authorization: { users: natsServerUsers(passwords) } }, null, 2));
