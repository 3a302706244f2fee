-- Channels (ADR 0050): named text channels of a room; "" is the implicit default channel.
CREATE TABLE "room_channels" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archived_at" TIMESTAMPTZ(3),

    CONSTRAINT "room_channels_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "room_channels_room_id_name_key" ON "room_channels"("room_id", "name");

ALTER TABLE "room_channels" ADD CONSTRAINT "room_channels_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing messages and receipts belong to the default channel.
ALTER TABLE "messages" ADD COLUMN "channel_id" TEXT NOT NULL DEFAULT '';
DROP INDEX "messages_room_id_created_at_id_idx";
CREATE INDEX "messages_room_id_channel_id_created_at_id_idx" ON "messages"("room_id", "channel_id", "created_at", "id");

ALTER TABLE "read_receipts" ADD COLUMN "channel_id" TEXT NOT NULL DEFAULT '';
ALTER TABLE "read_receipts" DROP CONSTRAINT "read_receipts_pkey";
ALTER TABLE "read_receipts" ADD CONSTRAINT "read_receipts_pkey" PRIMARY KEY ("room_id", "channel_id", "user_id");
