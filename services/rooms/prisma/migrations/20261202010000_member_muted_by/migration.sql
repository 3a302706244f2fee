-- AlterTable
ALTER TABLE "room_members" ADD COLUMN     "muted_by" TEXT;
