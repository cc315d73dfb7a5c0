//! `container image pull|inspect|list|delete` against the fixture registry
//! and the local image store.

use super::create::{progress_is_plain, validate_progress};
use super::format::{format, Format};
use super::{emit, emit_raw, Context};
use crate::cli::{specs, ParsedArgs};
use crate::error::{failed, usage_error, CliResult};
use crate::output::garble::Shape;
use crate::output::{json, table};
use crate::registry::reference::Reference;
use crate::registry::{images, pull as registry_pull};
use serde_json::Value;

pub fn pull(context: &Context, args: &ParsedArgs) -> CliResult {
    let spec = &specs::IMAGE_PULL;
    validate_progress(args).map_err(|error| usage_error(spec, error))?;
    args.expect_positionals(&["<reference>"], false)
        .map_err(|error| usage_error(spec, error))?;
    let reference = Reference::parse(&args.positionals[0]).map_err(failed)?;
    registry_pull::pull(
        &context.store,
        &context.knobs,
        &reference,
        progress_is_plain(args),
    )
    .map_err(failed)?;
    Ok(())
}

pub fn inspect(context: &Context, args: &ParsedArgs) -> CliResult {
    args.expect_positionals(&["<images> ..."], true)
        .map_err(|error| usage_error(&specs::IMAGE_INSPECT, error))?;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for text in &args.positionals {
        let record = Reference::parse(text)
            .ok()
            .and_then(|r| images::find(&context.store, &r));
        match record {
            Some(record) => found.push(images::resource_json(&record)),
            None => missing.push(text.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(failed(format!("image not found: {}", missing.join(", "))));
    }
    context.emit_json(Shape::Images, Value::Array(found), json::pretty);
    Ok(())
}

pub fn list(context: &Context, args: &ParsedArgs) -> CliResult {
    let format = format(args, &specs::IMAGE_LIST)?;
    if args.flag("--quiet") && args.flag("--verbose") {
        return Err(failed("cannot use flag --quiet and --verbose together"));
    }
    let records = images::list(&context.store);

    if args.flag("--quiet") {
        for record in &records {
            if let Ok(reference) = Reference::parse(&record.reference) {
                emit(&reference.display());
            }
        }
        return Ok(());
    }
    match format {
        Format::Json => {
            let items: Vec<Value> = records.iter().map(images::resource_json).collect();
            context.emit_json(Shape::Images, Value::Array(items), json::compact);
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = records
                .iter()
                .filter_map(|record| {
                    let reference = Reference::parse(&record.reference).ok()?;
                    let digest = record.digest.trim_start_matches("sha256:");
                    Some(vec![
                        reference.display_name(),
                        reference.tag.clone().unwrap_or_default(),
                        digest.chars().take(12).collect(),
                    ])
                })
                .collect();
            emit_raw(&table::render(&["NAME", "TAG", "DIGEST"], &rows));
        }
    }
    Ok(())
}

pub fn delete(context: &Context, args: &ParsedArgs) -> CliResult {
    let texts: Vec<String> = if args.flag("--all") {
        images::list(&context.store)
            .into_iter()
            .map(|record| record.reference)
            .collect()
    } else {
        args.positionals.clone()
    };
    let mut failures = Vec::new();
    let mut reclaimed = 0u64;
    for text in texts {
        let reference = Reference::parse(&text).map_err(failed)?;
        let record = images::find(&context.store, &reference);
        match images::delete(&context.store, &reference) {
            Ok(true) => {
                reclaimed += record.map(|record| record.size).unwrap_or(0);
                emit(&reference.full());
            }
            Ok(false) if args.flag("--force") => {}
            _ => failures.push(format!("\"{text}\"")),
        }
    }
    eprintln!("Reclaimed {} in disk space", human_size(reclaimed));
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failed(format!(
            "failed to delete one or more images: [{}]",
            failures.join(", ")
        )))
    }
}

/// Foundation's `ByteCountFormatter` style: `Zero KB`, `10 KB`.
fn human_size(bytes: u64) -> String {
    if bytes == 0 {
        "Zero KB".to_string()
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}
