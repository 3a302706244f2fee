-- AlterTable
ALTER TABLE "rooms" ADD COLUMN     "replay_ephemeral" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "rooms_owner_id_idx" ON "rooms"("owner_id");
