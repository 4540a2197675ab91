//! Known values: scipy 1.17.1 (`scipy.stats.norm`, `scipy.stats.mannwhitneyu`), the example of R's
//! `?wilcox.test` (Hollander & Wolfe 1973, p. 69: permeability constants of the human chorioamnion) and
//! Kayenta's own test suites (`MannWhitneySuite.scala`, `DetectorSuite.scala`).

use super::*;

fn close(actual: f64, expected: f64, relative: f64) -> bool {
    (actual - expected).abs() <= relative * expected.abs().max(1e-300)
}

#[test]
fn normal_sf_matches_scipy_norm_sf() {
    let cases = [
        (0.0, 0.5),
        (1.0, 0.15865525393145707),
        (1.959963984540054, 0.025),
        (2.5, 0.006209665325776132),
        (3.0, 0.0013498980316300933),
        (5.0, 2.866515718791933e-07),
        (8.0, 6.22096057427174e-16),
        (10.0, 7.61985302416047e-24),
        (-1.5, 0.9331927987311419),
        // Either side of the switch from the series to the continued fraction (x = z / sqrt 2 = 2.5).
        (3.5355, 0.00020350212259507148),
        (3.6, 0.00015910859015753364),
        (4.0, 3.167124183311986e-05),
        (6.0, 9.865876450376946e-10),
        (20.0, 2.7536241186061556e-89),
        (37.0, 5.7255712225239266e-300),
    ];
    for (z, expected) in cases {
        let actual = normal_sf(z);
        assert!(
            close(actual, expected, 1e-12),
            "sf({z}) = {actual:e}, scipy says {expected:e}"
        );
    }
}

#[test]
fn normal_quantile_matches_scipy_norm_ppf() {
    let cases = [
        (0.5, 0.0),
        (0.975, 1.959963984540054),
        (0.99, 2.3263478740408408),
        (0.995, 2.5758293035489004),
        (0.999, 3.090232306167813),
        (1e-10, -6.361340902404056),
    ];
    for (p, expected) in cases {
        let actual = normal_quantile(p);
        assert!(
            (actual - expected).abs() < 1e-12,
            "ppf({p}) = {actual}, scipy says {expected}"
        );
    }
    assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(normal_quantile(1.0), f64::INFINITY);
}

/// Kayenta `MannWhitneySuite`, "Test zQuant": the 98% two-sided quantile.
#[test]
fn kayenta_z_quantile_for_98_percent() {
    assert!((normal_quantile(0.02 / 2.0) - -2.326348).abs() < 1e-6);
}

const HW_X: [f64; 10] = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const HW_Y: [f64; 5] = [1.15, 0.88, 0.90, 0.74, 1.21];

/// R `?wilcox.test` example (Hollander & Wolfe 1973, p. 69): W = 35. Two-sided, continuity-corrected p from
/// `scipy.stats.mannwhitneyu(x, y, method="asymptotic")` = 0.24462360512698333; without the correction (R's
/// `exact = FALSE, correct = FALSE`, one-sided) R and scipy print 0.1103, i.e. 0.2207 two-sided.
#[test]
fn hollander_wolfe_example_from_r_wilcox_test_docs() {
    let mut result = mann_whitney(&HW_Y, &HW_X).expect("samples");
    // Small and without ties, so the p-value is exact (next test); the approximation is still computed.
    result.p_value = (2.0 * normal_sf(result.z)).min(1.0);
    assert_eq!(result.u, 35.0);
    assert!(
        close(result.p_value, 0.24462360512698333, 1e-12),
        "p = {}",
        result.p_value
    );
    let uncorrected = 2.0 * normal_sf(result.z + 0.5 / ((10.0 * 5.0 * 16.0 / 12.0_f64).sqrt()));
    assert!(
        close(uncorrected, 0.22067136191984693, 1e-12),
        "uncorrected p = {uncorrected}"
    );
}

/// Ties across and within the samples; scipy: U = 13.5, p = 0.03175895714806371.
#[test]
fn mann_whitney_tie_correction_matches_scipy() {
    let canary = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0];
    let baseline = [2.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0];
    let result = mann_whitney(&baseline, &canary).expect("samples");
    assert_eq!(result.u, 13.5);
    assert!(
        close(result.p_value, 0.03175895714806371, 1e-12),
        "p = {}",
        result.p_value
    );
}

/// 60 against 45 generated values; scipy: U = 968, p = 0.013494039673269108.
#[test]
fn mann_whitney_larger_samples_match_scipy() {
    let canary: Vec<f64> = (1..=60).map(|i| f64::from(i * 37 % 101) / 10.0).collect();
    let baseline: Vec<f64> = (1..=45).map(|j| f64::from(j * 53 % 97) / 10.0 + 2.0).collect();
    let result = mann_whitney(&baseline, &canary).expect("samples");
    assert_eq!(result.u, 968.0);
    assert!(
        close(result.p_value, 0.013494039673269108, 1e-12),
        "p = {}",
        result.p_value
    );
    // Swapping the sides mirrors U and keeps the two-sided p.
    let swapped = mann_whitney(&canary, &baseline).expect("samples");
    assert_eq!(swapped.u, 60.0 * 45.0 - 968.0);
    assert!(close(swapped.p_value, result.p_value, 1e-14));
}

/// scipy's default `method="auto"` is exact for the R example (5 values, no ties): p = 0.2544122544122544, twice
/// R's one-sided exact 0.1272.
#[test]
fn small_samples_without_ties_get_the_exact_p_value() {
    let result = mann_whitney(&HW_Y, &HW_X).expect("samples");
    assert!(result.exact);
    assert!(
        close(result.p_value, 0.2544122544122544, 1e-12),
        "p = {}",
        result.p_value
    );
    let swapped = mann_whitney(&HW_X, &HW_Y).expect("samples");
    assert!(
        close(swapped.p_value, 0.2544122544122544, 1e-12),
        "p = {}",
        swapped.p_value
    );
    // Complete separation of 3 and 3: 2 * 1 / C(6, 3) = 0.1 (scipy: 0.1).
    let separated = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).expect("samples");
    assert!(close(separated.p_value, 0.1, 1e-12), "p = {}", separated.p_value);
    // Unequal sizes: scipy's exact p for 3 against 12 is 0.5362637362637362 (U = 23).
    let baseline: Vec<f64> = (0..12).map(f64::from).collect();
    let uneven = mann_whitney(&baseline, &[2.5, 7.5, 11.5]).expect("samples");
    assert_eq!(uneven.u, 23.0);
    assert!(
        close(uneven.p_value, 0.5362637362637362, 1e-12),
        "p = {}",
        uneven.p_value
    );
    // 8 above 200: 2 / C(208, 8).
    let low: Vec<f64> = (0..200).map(f64::from).collect();
    let high: Vec<f64> = (0..8).map(|i| 1000.0 + f64::from(i)).collect();
    let far = mann_whitney(&low, &high).expect("samples");
    assert!(
        far.exact && close(far.p_value, 2.6376801135834482e-14, 1e-9),
        "p = {}",
        far.p_value
    );
    // Ties, or larger samples, use the normal approximation.
    assert!(!mann_whitney(&[1.0, 1.0, 2.0], &[2.0, 3.0, 4.0]).expect("samples").exact);
    let twenty: Vec<f64> = (0..20).map(f64::from).collect();
    assert!(
        !mann_whitney(&twenty, &twenty.iter().map(|v| v + 0.5).collect::<Vec<_>>())
            .expect("samples")
            .exact
    );
}

#[test]
fn mann_whitney_of_all_tied_values_is_p_one_and_empty_is_none() {
    let result = mann_whitney(&[3.0; 40], &[3.0; 35]).expect("samples");
    assert_eq!(result.p_value, 1.0);
    assert!(mann_whitney(&[], &[1.0]).is_none());
}

/// Kayenta `MannWhitneySuite`, "Mann-Whitney Confidence Interval & Estimate" (95%): interval [6, 39],
/// estimate 22.5.
#[test]
fn kayenta_confidence_interval_and_estimate() {
    let shift = hodges_lehmann(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0], 0.95).expect("samples");
    assert!((shift.lower - 6.0).abs() < 1e-6, "{shift:?}");
    assert!((shift.upper - 39.0).abs() < 1e-6, "{shift:?}");
    assert!((shift.estimate - 22.5).abs() < 1e-6, "{shift:?}");
}

/// Kayenta `MannWhitneySuite`, "Tie out with R Version" (95%) and "(Large)" (98%): heavily tied data with R's
/// `wilcox.test(experiment, control, conf.int = TRUE)` results. R finds each root with `uniroot(tol = 1e-4)`, so it
/// stops up to 1e-4 away from the jump of the step function where this implementation lands exactly.
#[test]
fn kayenta_tie_out_with_r() {
    let cases = [
        (
            &R_CONTROL[..],
            &R_EXPERIMENT[..],
            0.95,
            (-0.500002521696696, -3.486287505871302e-5, -0.4999393907180323),
        ),
        (
            &R_LARGE_CONTROL[..],
            &R_LARGE_EXPERIMENT[..],
            0.98,
            (-0.4999173250549087, -6.912685789769486e-6, -3.45044082729315e-5),
        ),
    ];
    for (control, experiment, confidence, (lower, upper, estimate)) in cases {
        let shift = hodges_lehmann(control, experiment, confidence).expect("samples");
        assert!((shift.lower - lower).abs() <= 1e-4, "{shift:?} vs R's lower {lower}");
        assert!((shift.upper - upper).abs() <= 1e-4, "{shift:?} vs R's upper {upper}");
        assert!(
            (shift.estimate - estimate).abs() <= 1e-4,
            "{shift:?} vs R's estimate {estimate}"
        );
    }
}

/// Without ties and with an even number of pairs, the estimate is exactly the Hodges-Lehmann median of the
/// pairwise differences (0.305 for the Hollander & Wolfe data, numpy's median of the 50 differences).
#[test]
fn estimate_is_the_median_of_pairwise_differences() {
    let shift = hodges_lehmann(&HW_Y, &HW_X, 0.95).expect("samples");
    assert!((shift.estimate - 0.305).abs() < 1e-9, "{shift:?}");
    assert!(
        shift.lower < shift.estimate && shift.estimate < shift.upper,
        "{shift:?}"
    );
    let mut differences: Vec<f64> = HW_X.iter().flat_map(|x| HW_Y.iter().map(move |y| x - y)).collect();
    differences.sort_by(f64::total_cmp);
    // The interval ends are pairwise differences (the statistic jumps there).
    for end in [shift.lower, shift.upper] {
        assert!(
            differences.iter().any(|d| (d - end).abs() < 1e-9),
            "{end} is not a pairwise difference"
        );
    }
}

#[test]
fn interval_narrows_as_confidence_drops_and_detects_a_clear_shift() {
    let baseline: Vec<f64> = (0..200).map(|i| f64::from(i % 50)).collect();
    let canary: Vec<f64> = baseline.iter().map(|v| v + 10.0).collect();
    let wide = hodges_lehmann(&baseline, &canary, 0.99).expect("samples");
    let narrow = hodges_lehmann(&baseline, &canary, 0.80).expect("samples");
    assert!((wide.estimate - 10.0).abs() < 1e-9, "{wide:?}");
    assert!(
        wide.lower <= narrow.lower && narrow.upper <= wide.upper,
        "{wide:?} vs {narrow:?}"
    );
    assert!(
        wide.lower > 0.0,
        "a shift of 10 on a range of 50 is significant: {wide:?}"
    );
}

/// Each side constant but different: Kayenta adds Gaussian noise here; the midpoint rule needs none.
#[test]
fn constant_sides_give_a_point_interval_at_the_difference() {
    let shift = hodges_lehmann(&[0.01; 40], &[0.03; 40], 0.98).expect("samples");
    assert!((shift.estimate - 0.02).abs() < 1e-12, "{shift:?}");
    assert!(
        (shift.lower - 0.02).abs() < 1e-12 && (shift.upper - 0.02).abs() < 1e-12,
        "{shift:?}"
    );
}

#[test]
fn r7_percentiles() {
    let data = sorted(&[15.0, 20.0, 35.0, 40.0, 50.0]);
    assert_eq!(percentile_sorted(&data, 0.0), Some(15.0));
    assert_eq!(percentile_sorted(&data, 40.0), Some(29.0));
    assert_eq!(percentile_sorted(&data, 50.0), Some(35.0));
    assert_eq!(percentile_sorted(&data, 100.0), Some(50.0));
    assert_eq!(percentile_sorted(&[], 50.0), None);
    assert_eq!(percentile_sorted(&[7.0], 99.0), Some(7.0));
}

/// Kayenta `DetectorSuite`, "IQR Detection", "IQR Detect Two Sided" and "IQR NIST Test" (factor 1.5, plain
/// Tukey fences).
#[test]
fn kayenta_iqr_detector_cases() {
    let data = [21.0, 23.0, 24.0, 25.0, 50.0, 29.0, 23.0, 21.0];
    assert_eq!(
        remove_outliers(&data, 1.5, false),
        vec![21.0, 23.0, 24.0, 25.0, 29.0, 23.0, 21.0]
    );

    let two_sided = [1.0, 1.0, 1.0, 5.0, -1.0, -1.0, -1.0, -5.0];
    assert_eq!(
        remove_outliers(&two_sided, 1.5, false),
        vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0]
    );

    let nist = [
        30.0, 171.0, 184.0, 201.0, 212.0, 250.0, 265.0, 270.0, 272.0, 289.0, 305.0, 306.0, 322.0, 322.0, 336.0, 346.0,
        351.0, 370.0, 390.0, 404.0, 409.0, 411.0, 436.0, 437.0, 439.0, 441.0, 444.0, 448.0, 451.0, 453.0, 470.0, 480.0,
        482.0, 487.0, 494.0, 495.0, 499.0, 503.0, 514.0, 521.0, 522.0, 527.0, 548.0, 550.0, 559.0, 560.0, 570.0, 572.0,
        574.0, 578.0, 585.0, 592.0, 592.0, 607.0, 616.0, 618.0, 621.0, 629.0, 637.0, 638.0, 640.0, 656.0, 668.0, 707.0,
        709.0, 719.0, 737.0, 739.0, 752.0, 758.0, 766.0, 792.0, 792.0, 794.0, 802.0, 818.0, 830.0, 832.0, 843.0, 858.0,
        860.0, 869.0, 918.0, 925.0, 953.0, 991.0, 1000.0, 1005.0, 1068.0, 1441.0,
    ];
    let kept = remove_outliers(&nist, 1.5, false);
    assert_eq!(kept.len(), nist.len() - 1);
    assert!(!kept.contains(&1441.0));

    assert!(remove_outliers(&[], 1.5, false).is_empty());
}

#[test]
fn reduced_sensitivity_keeps_values_inside_the_1st_and_99th_percentiles() {
    // 1..=100 plus one far value. Plain fences drop it; with a tiny factor they keep only Q1..Q3 (26..=76),
    // while the widened fences still reach the 1st and 99th percentiles.
    let mut data: Vec<f64> = (1..=100).map(f64::from).collect();
    data.push(10_000.0);
    assert_eq!(remove_outliers(&data, 1.5, false).len(), 100);
    let (lower, upper) = iqr_fences(&data, 0.01, true).expect("values");
    let p01 = percentile_sorted(&sorted(&data), 1.0).expect("values");
    assert_eq!(lower, p01);
    assert!(upper >= 100.0, "upper fence {upper} is at least p99");
    assert_eq!(
        remove_outliers(&data, 0.01, false).len(),
        51,
        "a tiny factor keeps only Q1..=Q3"
    );
    assert_eq!(
        remove_outliers(&data, 0.01, true).len(),
        99,
        "the widened fences keep p01..=p99, 2..=100"
    );
}

#[test]
fn mean_ratio_is_none_when_a_mean_is_zero() {
    assert_eq!(mean_ratio(&[1.0, 3.0], &[4.0, 4.0]), Some(2.0));
    assert_eq!(mean_ratio(&[0.0, 0.0], &[4.0]), None);
    assert_eq!(mean_ratio(&[1.0], &[0.0]), None);
    assert_eq!(mean_ratio(&[], &[1.0]), None);
}

// Kayenta `MannWhitneySuite` data (Apache-2.0), latency-like values with many ties.
const R_CONTROL: [f64; 90] = [
    1.5, 6.0, 5.0, 2.5, 2.5, 2.0, 2.0, 3.5, 3.0, 3.0, 3.0, 2.0, 3.0, 8.0, 4.0, 2.5, 3.0, 2.5, 2.5, 2.0, 2.5, 2.0, 2.0,
    2.5, 3.5, 3.0, 1.5, 5.0, 2.5, 5.5, 2.0, 2.5, 3.5, 2.0, 2.5, 4.0, 2.0, 2.0, 2.0, 2.0, 5.5, 4.5, 4.0, 3.0, 3.0, 3.5,
    2.5, 3.0, 2.5, 4.0, 6.0, 2.0, 5.0, 6.0, 3.5, 3.0, 54.5, 3.0, 5.0, 6.0, 3.5, 4.5, 2.5, 2.0, 6.0, 5.0, 2.5, 3.5, 2.0,
    3.0, 2.5, 3.5, 3.5, 2.5, 3.0, 4.5, 3.0, 15.5, 5.0, 2.5, 3.0, 4.0, 3.5, 4.0, 4.0, 2.0, 4.5, 2.5, 4.0, 3.0,
];
const R_EXPERIMENT: [f64; 90] = [
    2.5, 2.5, 2.0, 2.5, 3.5, 2.0, 3.5, 1.5, 3.0, 3.0, 2.5, 3.5, 2.0, 2.5, 2.0, 2.0, 5.0, 3.0, 2.0, 1.5, 2.0, 4.0, 3.0,
    2.5, 3.0, 2.0, 2.0, 2.0, 2.5, 3.5, 1.5, 1.5, 3.5, 2.0, 2.5, 2.5, 3.0, 3.5, 2.5, 6.5, 2.5, 4.0, 2.5, 3.0, 2.5, 6.5,
    2.5, 3.0, 1.5, 2.0, 2.5, 3.0, 7.5, 1.5, 2.0, 4.0, 2.5, 2.0, 2.5, 3.5, 4.0, 2.5, 3.0, 2.5, 2.0, 3.5, 3.0, 16.5, 3.0,
    3.0, 7.0, 4.5, 5.0, 2.0, 3.5, 6.0, 1.5, 3.0, 2.5, 4.0, 3.0, 1.5, 5.0, 3.0, 2.5, 5.5, 3.0, 1.5, 2.5, 6.0,
];
const R_LARGE_EXPERIMENT: [f64; 180] = [
    1.5, 2.0, 5.0, 1.5, 1.5, 8.5, 1.0, 1.0, 2.0, 1.0, 1.5, 0.5, 2.0, 1.5, 2.0, 1.5, 1.0, 2.5, 1.5, 1.5, 2.0, 1.5, 1.5,
    1.5, 2.0, 2.0, 1.0, 5.5, 1.5, 2.0, 1.5, 1.5, 1.0, 2.5, 1.0, 2.0, 1.5, 1.5, 2.0, 2.0, 1.5, 1.5, 1.0, 1.0, 2.0, 0.5,
    1.5, 0.5, 3.5, 1.5, 3.0, 19.0, 0.5, 1.5, 0.5, 1.5, 2.0, 1.5, 1.5, 1.5, 1.5, 2.0, 1.5, 2.0, 2.0, 1.5, 1.0, 1.5, 1.0,
    2.0, 1.0, 2.0, 1.5, 1.5, 3.0, 2.0, 1.5, 1.5, 0.5, 2.0, 1.5, 1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 2.0, 1.5, 1.0, 1.0, 2.0,
    1.5, 1.5, 1.5, 0.5, 1.5, 1.5, 0.5, 1.0, 1.5, 1.5, 1.5, 1.0, 2.0, 2.0, 2.0, 1.5, 1.0, 1.5, 1.0, 1.0, 1.5, 3.5, 2.0,
    1.5, 1.0, 2.0, 1.5, 5.5, 0.5, 2.0, 3.5, 1.5, 1.0, 2.0, 0.5, 2.5, 1.0, 1.5, 0.5, 2.0, 2.0, 1.0, 0.5, 1.5, 1.0, 1.5,
    0.5, 0.5, 1.0, 1.5, 1.0, 1.5, 0.5, 1.5, 1.0, 1.0, 0.5, 1.0, 0.5, 4.0, 1.0, 1.5, 2.0, 5.5, 1.5, 0.5, 2.0, 1.0, 1.5,
    1.0, 1.5, 1.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.0, 0.5, 1.5, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0,
];
const R_LARGE_CONTROL: [f64; 180] = [
    1.5, 1.5, 1.0, 2.0, 1.5, 1.5, 1.5, 2.0, 1.0, 1.0, 2.0, 1.5, 1.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 2.0, 1.0, 1.5, 3.0,
    2.0, 1.0, 1.5, 1.5, 1.5, 2.0, 1.5, 1.0, 1.0, 1.5, 2.5, 2.0, 0.0, 1.0, 2.0, 2.0, 1.5, 3.0, 2.0, 1.0, 2.5, 0.5, 1.5,
    0.5, 2.5, 2.0, 1.5, 1.5, 2.0, 1.0, 4.5, 2.5, 0.5, 2.5, 1.5, 1.5, 1.0, 2.0, 1.0, 2.5, 1.5, 2.0, 1.5, 3.0, 1.5, 1.5,
    1.5, 1.5, 2.0, 1.0, 2.5, 1.0, 1.5, 2.5, 1.5, 2.5, 2.0, 1.5, 1.5, 1.5, 2.5, 1.0, 7.5, 1.5, 3.0, 5.5, 1.0, 1.5, 2.0,
    1.0, 1.5, 2.5, 2.5, 1.0, 1.0, 2.5, 1.5, 1.5, 3.0, 4.0, 1.0, 1.5, 2.0, 1.5, 1.5, 1.5, 2.5, 1.5, 3.5, 2.5, 1.5, 2.0,
    1.0, 4.0, 1.5, 1.0, 1.5, 2.5, 2.5, 2.0, 2.5, 1.5, 1.5, 2.0, 1.0, 1.5, 2.0, 1.5, 1.0, 2.5, 1.5, 1.5, 2.0, 2.0, 1.0,
    1.5, 2.5, 0.5, 2.0, 2.5, 2.0, 1.0, 2.0, 0.5, 1.5, 1.0, 2.5, 1.0, 1.5, 1.0, 7.0, 1.0, 3.5, 1.5, 2.0, 1.5, 1.5, 2.0,
    3.0, 1.5, 1.5, 2.0, 1.5, 2.0, 1.5, 4.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 0.5, 2.0, 1.0, 1.5, 0.5,
];
