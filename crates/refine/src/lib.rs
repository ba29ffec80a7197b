//! Raw to Trusted to Refined with Apache DataFusion running the sql/*.sql files (and the Spark driver's contract).
