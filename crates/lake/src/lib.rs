//! The lake: s3:// and file:// storage through object_store, verified create-only uploads, the Raw zone layout and ingest.
