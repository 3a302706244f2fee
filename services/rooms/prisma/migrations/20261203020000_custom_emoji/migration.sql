-- Custom emoji (ADR 0051): a room's `:name:` bound to an uploaded image (an attachment row).
CREATE TABLE "room_emoji" (
    "room_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "attachment_id" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "room_emoji_pkey" PRIMARY KEY ("room_id", "name")
);

CREATE UNIQUE INDEX "room_emoji_attachment_id_key" ON "room_emoji"("attachment_id");

ALTER TABLE "room_emoji" ADD CONSTRAINT "room_emoji_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "room_emoji" ADD CONSTRAINT "room_emoji_attachment_id_fkey" FOREIGN KEY ("attachment_id") REFERENCES "attachments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
