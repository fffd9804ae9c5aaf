//! Size: each image against its budget, with its layers reported.

use super::Verdict;
use crate::checks::size::{Bound, within};
use crate::failure::Failure;
use crate::judge::judge;
use crate::row::Row;
use crate::suite::Suite;
use crate::units::thousands;
use crate::verdict::Evidence;
use image_probe::{Architecture, ImageStore, ProbeError};
use std::sync::Arc;

pub async fn image_is_within_its_size_budget(suite: &Suite, row: &Arc<Row>) -> Verdict {
    let subject = suite.subject(row).await?;
    let facts = &subject.facts;
    let architecture = &facts.architecture;
    let no_budget = || {
        Failure::row(
            &subject,
            format!("its row has no size budget for {architecture}"),
        )
    };
    let mut verdicts = Vec::new();
    if let Some(budget) = &row.claims.size {
        let limit = budget.of(architecture).ok_or_else(no_budget)?;
        verdicts.push(within(
            &subject.label,
            "image size",
            facts.bytes,
            Bound::AtMost(limit),
        ));
    }
    if let Some(over) = &row.claims.size_over_base {
        let limit = over.bytes.of(architecture).ok_or_else(no_budget)?;
        let (base, base_bytes) = base_of(suite, &over.bases, architecture)
            .await
            .map_err(|error| Failure::probe(&subject, error))?
            .ok_or_else(|| {
                Failure::row(
                    &subject,
                    format!(
                        "none of its base images {} is present for {architecture}",
                        over.bases.join(", ")
                    ),
                )
            })?;
        let added = facts.bytes.saturating_sub(base_bytes);
        let what = format!("what it adds to {base}");
        verdicts.push(within(&subject.label, &what, added, Bound::AtMost(limit)));
    }
    let verdict = verdicts
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(|_| ());
    judge(
        &subject,
        "the size check",
        verdict,
        &Evidence::of([thousands(facts.bytes)]),
    )
}

/// The first of `bases` present with `architecture`, and its size. An
/// engine that stopped answering is an error, not a base found missing.
async fn base_of(
    suite: &Suite,
    bases: &[String],
    architecture: &Architecture,
) -> Result<Option<(String, u64)>, ProbeError> {
    for base in bases {
        match suite.engine().image_facts(base).await {
            Ok(facts) if facts.architecture == *architecture => {
                return Ok(Some((base.clone(), facts.bytes)));
            }
            Err(error) if error.is_engine_gone() => return Err(error),
            _ => {}
        }
    }
    Ok(None)
}

/// The bytes budgets count are the same quantity on every image store: on
/// the classic store, which reports each layer's size itself, counting the
/// layers (as the containerd store's runs must) gives, layer by layer,
/// either its figure (a layer the classic builder committed) or its figure
/// plus the layer's symbolic links' target lengths (a layer applied from a
/// tar stream, as BuildKit's and pulled ones are, where the store counts
/// regular files alone): the two definitions differ by those bytes only.
pub async fn layers_counted_give_the_classic_stores_own_size(suite: &Suite) -> Verdict {
    let store = suite.engine().facts().image_store;
    if store != ImageStore::Classic {
        suite.report().not_proven.push(format!(
            "that counting the layers gives the store's own size: the {store} reports stored \
             bytes, not unpacked ones, so the count is checked on classic engines"
        ));
        return Ok(());
    }
    for row in suite.rows().iter().filter(|row| !row.negative_control) {
        let subject = suite.subject(row).await?;
        let counted = suite
            .engine()
            .layer_bytes(subject.image())
            .await
            .map_err(|error| Failure::probe(&subject, error))?;
        let counted: Vec<_> = counted.iter().filter(|layer| layer.unpacked > 0).collect();
        let Some(stored) = &subject.facts.layer_bytes else {
            suite.report().not_proven.push(format!(
                "that counting the layers of {} gives the store's own size: its history sizes \
                 no layer (an image loaded from an archive whose config holds no history), so \
                 the classic store gives no size per layer to compare",
                row.name
            ));
            continue;
        };
        let each_agrees = counted.len() == stored.len()
            && counted.iter().zip(stored).all(|(layer, &store)| {
                store == layer.unpacked || store + layer.symlinks == layer.unpacked
            });
        if !each_agrees {
            let shown = |sizes: Vec<u64>| {
                sizes
                    .into_iter()
                    .map(thousands)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Failure::row(
                &subject,
                format!(
                    "its layers hold {} bytes of files and links (of which links {}), but the \
                     classic store says {}: the size budgets would count another quantity on \
                     the containerd store",
                    shown(counted.iter().map(|layer| layer.unpacked).collect()),
                    shown(counted.iter().map(|layer| layer.symlinks).collect()),
                    shown(stored.clone())
                ),
            ));
        }
    }
    Ok(())
}
