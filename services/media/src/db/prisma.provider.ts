import { prismaProviders } from '@switchboard/platform';
import { PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient };

/** The call log's client on DATABASE_URL (database switchboard_media), its readiness check and its shutdown. */
export const prismaModule = prismaProviders(PrismaClient);
