//! `$defs`: the definitions still referenced, their final names, and pydantic's key order.

use serde_json::{Map, Value};

use super::normalize::py_eq;
use super::{placeholder_index, Def, Generator};

impl Generator {
    /// Adds `$defs` (the definitions still referenced, with their final names) and sorts keys.
    pub(super) fn finish(self, top: Value) -> Value {
        let Generator { defs } = self;
        // Definitions reachable from the top-level schema.
        let mut reachable = vec![false; defs.len()];
        let mut stack = Vec::new();
        collect_refs(&top, &mut stack);
        while let Some(i) = stack.pop() {
            if let Some(seen) = reachable.get_mut(i) {
                if !*seen {
                    *seen = true;
                    collect_refs(&defs[i].body, &mut stack);
                }
            }
        }
        let live: Vec<usize> = (0..defs.len()).filter(|&i| reachable[i]).collect();
        let names = assign_names(&defs, &live);

        let mut top = replace_refs(top, &names);
        if !live.is_empty() {
            let mut table = Map::new();
            for &i in &live {
                let name = names[i].clone().unwrap_or_default();
                table.insert(name, replace_refs(defs[i].body.clone(), &names));
            }
            if let Value::Object(map) = &mut top {
                map.insert("$defs".into(), Value::Object(table));
            }
        }
        sort_keys(top, None)
    }
}

/// Indices of the definitions referenced anywhere in `v`.
fn collect_refs(v: &Value, out: &mut Vec<usize>) {
    match v {
        Value::String(s) => out.extend(placeholder_index(s)),
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

/// Replaces reference placeholders with `#/$defs/<name>`.
fn replace_refs(v: Value, names: &[Option<String>]) -> Value {
    match v {
        Value::String(s) => match placeholder_index(&s).and_then(|i| names.get(i)?.as_ref()) {
            Some(name) => Value::String(format!("#/$defs/{name}")),
            None => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| replace_refs(i, names)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, i)| (k, replace_refs(i, names)))
                .collect(),
        ),
        other => other,
    }
}

/// Final definition names for the live definitions. A definition keeps its short name unless
/// another live definition has the same short name and a different schema (compared with the
/// names chosen so far, until nothing changes, as pydantic does).
fn assign_names(defs: &[Def], live: &[usize]) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> = vec![None; defs.len()];
    // Groups of live definitions sharing a short name, in order of first use.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in live {
        match groups
            .iter_mut()
            .find(|g| defs[g[0]].short == defs[i].short)
        {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut pending = Vec::new();
    for group in &groups {
        if let [only] = group.as_slice() {
            names[*only] = Some(defs[*only].short.clone());
        } else {
            for (k, &i) in group.iter().enumerate() {
                names[i] = Some(format!("{}__{}", defs[i].short, k + 1));
            }
            pending.push(group);
        }
    }
    loop {
        let mut changed = false;
        pending.retain(|group| {
            let bodies: Vec<Value> = group
                .iter()
                .map(|&i| replace_refs(defs[i].body.clone(), &names))
                .collect();
            if bodies.iter().all(|b| py_eq(b, &bodies[0])) {
                for &i in group.iter() {
                    names[i] = Some(defs[i].short.clone());
                }
                changed = true;
                false
            } else {
                true
            }
        });
        if !changed {
            return names;
        }
    }
}

/// pydantic's sort: keys in code point order, recursively, except the keys of an object
/// that is the value of a `properties` or `default` key (arrays pass their key down).
fn sort_keys(v: Value, parent: Option<&str>) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            if !matches!(parent, Some("properties" | "default")) {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let v = sort_keys(v, Some(&k));
                        (k, v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| sort_keys(i, parent)).collect())
        }
        other => other,
    }
}

/// The `$defs` key pydantic prefers for a class: the name after its last `.`, with characters
/// other than ASCII letters, digits, `-` and `_` replaced by `_`.
pub(super) fn short_def_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
