-- CreateTable
CREATE TABLE "calls" (
    "id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "caller_id" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "media" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "answered_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,
    "outcome" TEXT,
    "ended_by" TEXT,
    "duration_ms" INTEGER,

    CONSTRAINT "calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call_parties" (
    "call_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "answered_at" TIMESTAMPTZ(3),
    "declined_at" TIMESTAMPTZ(3),

    CONSTRAINT "call_parties_pkey" PRIMARY KEY ("call_id","user_id")
);

-- CreateIndex
CREATE INDEX "calls_started_at_idx" ON "calls"("started_at" DESC);

-- CreateIndex
CREATE INDEX "calls_room_id_started_at_idx" ON "calls"("room_id", "started_at" DESC);

-- CreateIndex
CREATE INDEX "calls_outcome_started_at_idx" ON "calls"("outcome", "started_at" DESC);

-- CreateIndex
CREATE INDEX "call_parties_user_id_idx" ON "call_parties"("user_id");

-- AddForeignKey
ALTER TABLE "call_parties" ADD CONSTRAINT "call_parties_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "calls"("id") ON DELETE CASCADE ON UPDATE CASCADE;
