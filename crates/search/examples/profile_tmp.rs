use congso_search::{Query, SearchIndex};
use std::time::Instant;
fn main() {
    let index = SearchIndex::open(std::path::Path::new("/tmp/scale-index")).unwrap();
    println!("docs {}", index.num_docs());
    let queries = [
        "cua",
        "nguoi lao dong",
        "tòa án",
        "thời hạn",
        "hop dong",
        "quyen va nghia vu",
        "bo luat",
        "tai san",
        "xu ly",
        "giam doc",
    ];
    for q in queries {
        let mut times = vec![];
        let mut total = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let r = index.search(&Query::new(q)).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            total = r.total;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{q:>24}: {:.2} ms (min {:.2}) total {total}",
            times[2], times[0]
        );
    }
}
