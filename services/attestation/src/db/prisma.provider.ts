import { prismaProviders } from '@switchboard/platform';
import { PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient };

/** The attestation client on DATABASE_URL (database switchboard_attestation), its readiness check and its shutdown. */
export const prismaModule = prismaProviders(PrismaClient);
