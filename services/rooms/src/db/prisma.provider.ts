import { prismaProviders } from '@switchboard/platform';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient };

/** A unique constraint refused the write (Prisma's P2002), typed rather than by code string. */
export const isUniqueViolation = (err: unknown): boolean => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';

/**
 * Interactive transaction limits. Prisma's defaults (2 s to get a connection, 5 s to finish)
 * turn a briefly saturated host into `internal` errors; a command's own timeout is the bound.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

/** The client on DATABASE_URL, its readiness check and its shutdown. */
export const prismaModule = prismaProviders(PrismaClient);
