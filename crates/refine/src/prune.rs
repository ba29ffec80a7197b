//! Removing old refine runs (`cinelake prune`).
//!
//! Every run writes whole copies of its outputs under `Trusted/runs/RUN/` and `Refined/runs/RUN/`
//! ([`layout`]), and only the committed one is read; a lake refined every day
//! grows by a full copy a day. Pruning deletes the runs nothing needs, and never one of these:
//!
//! - the committed run (`Refined/_manifest.json`), which every reader starts from;
//! - the `keep` runs written most recently (by their newest object), which covers a run being
//!   written right now and the one committed before it, so going back stays possible;
//! - any run the caller names as linked: a published site's `manifest.json` holds presigned
//!   links to a run's extract for up to seven days, and the run it links need not be the
//!   committed one any more.
//!
//! The plan ([`plan`]) is made from one listing before anything is deleted; a committed manifest
//! that cannot be read stops it with nothing deleted. Before each run is deleted the committed
//! manifest is read again, and a run committed meanwhile stops the prune: prune and refine are
//! not meant to run at once on one lake, and this narrows, but cannot close, the window in which
//! a refine rewriting a listed run could lose objects to it (S3 has no conditional delete).
//!
//! A run is deleted object by object, its Refined objects first; a prune that stops half-way
//! leaves a run that nothing reads (it is not committed), which the next prune, or a new run with
//! the same id, finishes removing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path as StorePath;

use crate::{RefineError, delete_object, layout, read_manifest, store_error};

/// The folders runs are written under, in the order a run's objects are deleted.
const RUN_FOLDERS: [&str; 2] = ["Refined/runs", "Trusted/runs"];

/// What `prune` keeps and whether it deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneOptions {
    /// How many of the most recently written runs to keep (at least 1: the newest run may be one
    /// being written); the committed and linked runs are kept whatever their age.
    pub keep: usize,
    /// Runs a published site links to (see [`layout::run_of_key`]): kept whatever their age.
    pub linked: Vec<String>,
    /// Plan only: list what would be deleted, delete nothing.
    pub dry_run: bool,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            keep: 3,
            linked: Vec::new(),
            dry_run: false,
        }
    }
}

/// One run's objects, both zones together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: String,
    pub objects: u64,
    pub bytes: u64,
    /// When its newest object was written: what "recent" means.
    pub newest: DateTime<Utc>,
}

/// Why a run is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Committed,
    Linked,
    Recent,
}

/// What to keep and what to delete, newest runs first in each list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrunePlan {
    pub kept: Vec<(Run, Keep)>,
    pub pruned: Vec<Run>,
}

/// What `prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub plan: PrunePlan,
    /// Objects and bytes deleted (0 on a dry run).
    pub deleted_objects: u64,
    pub deleted_bytes: u64,
}

/// Decides which of `runs` to keep: the committed one, the linked ones, and the `keep` most
/// recently written, counted over all runs (with the committed run among the three newest,
/// `keep` = 3 keeps three runs, not four).
pub fn plan(
    mut runs: Vec<Run>,
    committed: Option<&str>,
    linked: &[String],
    keep: usize,
) -> PrunePlan {
    // Newest first; ties broken by id so a plan does not depend on listing order.
    runs.sort_by(|a, b| b.newest.cmp(&a.newest).then_with(|| b.id.cmp(&a.id)));
    let mut result = PrunePlan::default();
    for (rank, run) in runs.into_iter().enumerate() {
        let reason = if committed == Some(run.id.as_str()) {
            Some(Keep::Committed)
        } else if linked.contains(&run.id) {
            Some(Keep::Linked)
        } else if rank < keep {
            Some(Keep::Recent)
        } else {
            None
        };
        match reason {
            Some(reason) => result.kept.push((run, reason)),
            None => result.pruned.push(run),
        }
    }
    result
}

/// Lists the lake's runs, plans ([`plan`]) and, unless `dry_run`, deletes the pruned runs.
pub async fn prune(
    store: &dyn ObjectStore,
    options: &PruneOptions,
) -> Result<PruneReport, RefineError> {
    // Read before listing: a run committed in between is then among the newest listed, and kept.
    let committed = read_manifest(store).await?.map(|manifest| manifest.run_id);
    let mut runs: BTreeMap<String, Run> = BTreeMap::new();
    let mut keys_of: BTreeMap<String, Vec<StorePath>> = BTreeMap::new();
    for folder in RUN_FOLDERS {
        let objects: Vec<_> = store
            .list(Some(&StorePath::from(folder)))
            .try_collect()
            .await
            .map_err(store_error(folder))?;
        for meta in objects {
            let key = meta.location.to_string();
            // Anything else under runs/ (a stray file) is not a run's and is left alone.
            let Some(id) = layout::run_of_key(&key) else {
                continue;
            };
            let run = runs.entry(id.to_owned()).or_insert_with(|| Run {
                id: id.to_owned(),
                objects: 0,
                bytes: 0,
                newest: meta.last_modified,
            });
            run.objects += 1;
            run.bytes += meta.size;
            run.newest = run.newest.max(meta.last_modified);
            keys_of
                .entry(id.to_owned())
                .or_default()
                .push(meta.location);
        }
    }
    let plan = plan(
        runs.into_values().collect(),
        committed.as_deref(),
        &options.linked,
        options.keep.max(1),
    );
    let mut report = PruneReport {
        plan,
        ..PruneReport::default()
    };
    if options.dry_run {
        return Ok(report);
    }
    for run in &report.plan.pruned {
        // A refine running meanwhile may have committed this very run (a rollback with --date
        // writes an old run again): look again before each run, and stop rather than delete it.
        if read_manifest(store)
            .await?
            .is_some_and(|manifest| manifest.run_id == run.id)
        {
            return Err(RefineError::CommittedWhilePruning {
                run: run.id.clone(),
            });
        }
        for location in keys_of.remove(&run.id).unwrap_or_default() {
            delete_object(store, &location).await?;
        }
        report.deleted_objects += run.objects;
        report.deleted_bytes += run.bytes;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, minute: u32) -> Run {
        Run {
            id: id.to_owned(),
            objects: 4,
            bytes: 100,
            newest: DateTime::parse_from_rfc3339(&format!("2026-11-26T10:{minute:02}:00Z"))
                .expect("a valid test time")
                .with_timezone(&Utc),
        }
    }

    fn ids(plan: &PrunePlan) -> (Vec<(&str, Keep)>, Vec<&str>) {
        (
            plan.kept.iter().map(|(r, k)| (r.id.as_str(), *k)).collect(),
            plan.pruned.iter().map(|r| r.id.as_str()).collect(),
        )
    }

    #[test]
    fn keeps_the_committed_the_linked_and_the_newest() {
        let runs = vec![
            run("a", 1),
            run("b", 2),
            run("c", 3),
            run("d", 4),
            run("e", 5),
        ];
        // "a" committed although oldest (a rollback with --date), "b" linked by the site.
        let planned = plan(runs, Some("a"), &["b".to_owned()], 2);
        assert_eq!(
            ids(&planned),
            (
                vec![
                    ("e", Keep::Recent),
                    ("d", Keep::Recent),
                    ("b", Keep::Linked),
                    ("a", Keep::Committed)
                ],
                vec!["c"]
            )
        );
    }

    #[test]
    fn the_committed_run_counts_among_the_newest() {
        let runs = vec![run("a", 1), run("b", 2), run("c", 3)];
        let planned = plan(runs, Some("c"), &[], 2);
        assert_eq!(
            ids(&planned),
            (vec![("c", Keep::Committed), ("b", Keep::Recent)], vec!["a"])
        );
    }

    #[test]
    fn order_does_not_depend_on_the_listing() {
        let forward = plan(vec![run("a", 1), run("b", 1), run("c", 2)], None, &[], 2);
        let backward = plan(vec![run("c", 2), run("b", 1), run("a", 1)], None, &[], 2);
        assert_eq!(forward, backward);
        assert_eq!(ids(&forward).1, vec!["a"]);
    }

    #[test]
    fn nothing_to_prune() {
        assert_eq!(plan(Vec::new(), Some("x"), &[], 3), PrunePlan::default());
        let planned = plan(vec![run("a", 1)], None, &[], 1);
        assert!(planned.pruned.is_empty());
    }
}
