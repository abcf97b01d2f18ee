use super::*;

fn count(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|value| value.trim().parse().ok())
}

#[test]
fn answers_of_one_kind_share_their_series_and_only_proxied_ones_time_the_upstream() {
    let model: Arc<str> = Arc::from("cached-model");
    let platform: Arc<str> = Arc::from("cached-platform");
    let labels = HeadLabels {
        model: Some(&model),
        named: true,
        platform: Some(&platform),
        status: 200,
    };
    let route = "/test/answers-cache";
    for _ in 0..2 {
        record_answer(route.into(), &labels, Duration::from_millis(3), None);
    }
    let requests = format!(
        "switchyard_requests_total{{route=\"{route}\",model=\"cached-model\",platform=\"cached-platform\",status=\"200\"}}"
    );
    let overhead = format!("switchyard_overhead_seconds_count{{route=\"{route}\"}}");
    let text = render();
    assert_eq!(count(&text, &requests), Some(2.0), "{text}");
    assert_eq!(
        count(&text, &overhead),
        None,
        "no upstream, no overhead: {text}"
    );

    let upstream = Some(Duration::from_millis(1));
    let spent = record_answer(route.into(), &labels, Duration::from_millis(3), upstream);
    assert_eq!(spent, Some(Duration::from_millis(2)));
    let text = render();
    assert_eq!(count(&text, &requests), Some(3.0), "{text}");
    assert_eq!(count(&text, &overhead), Some(1.0), "{text}");
}

#[test]
fn usage_of_one_key_on_one_model_adds_up_and_only_the_kind_of_cost_seen_has_a_series() {
    let model: Arc<str> = Arc::from("usage-model");
    let usage = Usage {
        prompt_tokens: 5,
        completion_tokens: 2,
        cached_tokens: None,
        reasoning_tokens: None,
    };
    record_usage(&model, "key_a", &usage, Some(700));
    record_usage(&model, "key_a", &usage, Some(300));
    record_usage(&model, "key_b", &usage, None);
    // The same pair, now unpriced: its second counter is registered beside the first.
    record_usage(&model, "key_a", &usage, None);
    let text = render();
    let tokens = |key: &str, direction: &str| {
        let series = format!(
            "switchyard_tokens_total{{model=\"usage-model\",key=\"{key}\",direction=\"{direction}\"}}"
        );
        count(&text, &series)
    };
    assert_eq!(tokens("key_a", "prompt"), Some(15.0), "{text}");
    assert_eq!(tokens("key_a", "completion"), Some(6.0), "{text}");
    assert_eq!(tokens("key_b", "prompt"), Some(5.0), "{text}");
    let spend = |key: &str| {
        count(
            &text,
            &format!("switchyard_spend_nanodollars_total{{model=\"usage-model\",key=\"{key}\"}}"),
        )
    };
    assert_eq!(spend("key_a"), Some(1000.0), "{text}");
    assert_eq!(
        spend("key_b"),
        None,
        "an unpriced request has no spend: {text}"
    );
    assert_eq!(
        count(
            &text,
            "switchyard_unpriced_requests_total{model=\"usage-model\"}"
        ),
        Some(2.0),
        "{text}"
    );
}
