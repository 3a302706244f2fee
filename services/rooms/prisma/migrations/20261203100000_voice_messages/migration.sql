-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'text',
ADD COLUMN     "voice" JSONB;

-- CreateIndex
CREATE INDEX "messages_kind_created_at_idx" ON "messages"("kind", "created_at");
