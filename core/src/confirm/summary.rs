//! A write's body in a line, for its preview: what records it carries, not the whole of it.

/// A short account of a JSON body for a preview: each top-level key, with how many records an
/// array holds and the first few records' names, numbers or references, e.g.
/// `Contacts: 1 (Name "Acme")`. At most about 300 characters.
pub fn summary(body: &serde_json::Value) -> String {
    use serde_json::Value;
    const SAYS: &[&str] = &[
        "Name",
        "InvoiceNumber",
        "CreditNoteNumber",
        "Reference",
        "Code",
        "Type",
        "Status",
        "Total",
        "Amount",
    ];
    let record = |v: &Value| -> String {
        let Value::Object(fields) = v else {
            return short(&v.to_string());
        };
        let said: Vec<String> = SAYS
            .iter()
            .filter_map(|k| Some(format!("{k} {}", short(&fields.get(*k)?.to_string()))))
            .take(3)
            .collect();
        if said.is_empty() {
            format!("{} fields", fields.len())
        } else {
            said.join(", ")
        }
    };
    let said = match body {
        Value::Object(top) if !top.is_empty() => top
            .iter()
            .map(|(key, value)| match value {
                Value::Array(items) => {
                    let first: Vec<String> = items.iter().take(3).map(record).collect();
                    let more = if items.len() > 3 { ", …" } else { "" };
                    format!("{key}: {} ({}{more})", items.len(), first.join("; "))
                }
                Value::Object(_) => format!("{key}: ({})", record(value)),
                other => format!("{key}: {}", short(&other.to_string())),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(items) => format!("{} records", items.len()),
        Value::Null => "no body".to_owned(),
        other => short(&other.to_string()),
    };
    if said.chars().count() > 300 {
        format!("{}…", said.chars().take(299).collect::<String>())
    } else {
        said
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_records_a_write_carries() {
        let body = serde_json::json!({"Invoices": [
            {"Type": "ACCREC", "InvoiceNumber": "INV-1", "Contact": {"Name": "Acme"}, "Total": 10.5},
            {"Type": "ACCREC", "InvoiceNumber": "INV-2"},
            {"Type": "ACCREC"},
            {"Type": "ACCREC"},
        ]});
        assert_eq!(
            summary(&body),
            r#"Invoices: 4 (InvoiceNumber "INV-1", Type "ACCREC", Total 10.5; InvoiceNumber "INV-2", Type "ACCREC"; Type "ACCREC", …)"#
        );
        assert_eq!(
            summary(&serde_json::json!({"Name": "Acme"})),
            r#"Name: "Acme""#
        );
        assert_eq!(summary(&serde_json::Value::Null), "no body");
        let long = serde_json::json!({"Contacts": [{"Name": "x".repeat(500)}]});
        assert!(summary(&long).chars().count() <= 300);
    }
}
