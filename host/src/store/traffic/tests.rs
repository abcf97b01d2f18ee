use super::*;

fn totals(latencies: &[f64]) -> Totals {
    let mut totals = Totals::default();
    for &latency_ms in latencies {
        totals.add_record(&RequestRecord {
            latency_ms,
            status: 200,
            ..RequestRecord::default()
        });
    }
    totals
}

#[test]
fn bins_cover_a_millisecond_to_minutes_in_quarter_steps() {
    assert_eq!(bin_of(0.2), 0);
    assert_eq!(bin_of(1.0), 0);
    assert_eq!(bin_of(1.2), 1);
    assert_eq!(bin_of(1.3), 2);
    assert_eq!(bin_of(f64::MAX), BINS - 1);
    for latency in [3.0, 47.0, 980.0, 12_345.0] {
        let (low, high) = bin_bounds(bin_of(latency));
        assert!(
            low < latency && latency <= high,
            "{latency} in {low}..{high}"
        );
    }
}

#[test]
fn percentiles_are_within_a_bin_of_the_truth() {
    let latencies: Vec<f64> = (1..=1000).map(f64::from).collect();
    let totals = totals(&latencies);
    let p50 = totals.latency_quantile(0.5).unwrap();
    let p99 = totals.latency_quantile(0.99).unwrap();
    assert!((400.0..=625.0).contains(&p50), "p50 {p50}");
    assert!((792.0..=1000.0).contains(&p99), "p99 {p99}");
    assert!(totals.latency_quantile(1.0).unwrap() <= 1000.0);
    assert_eq!(Totals::default().latency_quantile(0.5), None);
}

#[test]
fn one_request_reports_its_own_latency_bound() {
    let p = totals(&[12.0]).latency_quantile(0.99).unwrap();
    assert!(p <= 12.0 && p > 9.0, "{p}");
}

#[test]
fn a_batch_is_summed_per_minute_and_model_and_per_hour_and_key() {
    let record = |at_ms, model: &str, client: &str, status| RequestRecord {
        at_ms,
        model: model.into(),
        client_id: client.into(),
        status,
        latency_ms: 5.0,
        total_tokens: Some(3),
        ..RequestRecord::default()
    };
    let rollup = Rollup::of(&[
        record(60_000, "m", "a", 200),
        record(119_999, "m", "b", 500),
        record(120_000, "m", "a", 200),
    ]);
    assert_eq!(rollup.by_key.len(), 2);
    assert_eq!(rollup.by_model.len(), 2);
    let first = &rollup.by_model[&(60_000, "m".to_string())];
    assert_eq!(
        (first.requests, first.errors, first.total_tokens),
        (2, 1, 6)
    );
    assert_eq!(rollup.by_key[&("a".to_string(), 0)].requests, 2);
}

#[test]
fn generated_sql_names_every_bin() {
    let sql = upsert_sql(TrafficDimension::Model, |n| format!("?{n}"), "max");
    assert!(
        sql.contains("l63 = traffic_by_model.l63 + excluded.l63"),
        "{sql}"
    );
    assert!(sql.contains(&format!("?{}", BINS + 9)));
}
