-- CreateTable
CREATE TABLE "build_tokens" (
    "id" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "build_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "devices" (
    "id" TEXT NOT NULL,
    "build_token_id" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_verified_at" TIMESTAMPTZ(3),

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reference_binaries" (
    "platform" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "lo_oid" BIGINT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "uploaded_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reference_binaries_pkey" PRIMARY KEY ("platform","version")
);

-- CreateTable
CREATE TABLE "version_policies" (
    "platform" TEXT NOT NULL,
    "minimum" TEXT NOT NULL DEFAULT '',
    "blocked" JSONB NOT NULL DEFAULT '[]',
    "recommended" TEXT NOT NULL DEFAULT '',
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "version_policies_pkey" PRIMARY KEY ("platform")
);

-- CreateIndex
CREATE UNIQUE INDEX "build_tokens_token_hash_key" ON "build_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "build_tokens_platform_created_at_idx" ON "build_tokens"("platform", "created_at" DESC);

-- CreateIndex
CREATE INDEX "devices_build_token_id_idx" ON "devices"("build_token_id");

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_build_token_id_fkey" FOREIGN KEY ("build_token_id") REFERENCES "build_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;
