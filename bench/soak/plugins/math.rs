use pop::prelude::*;

/// Return the num'th Fibonacci number.
#[plugin]
pub async fn fib(_hub: &Hub, #[default(10)] num: u64) -> Result<u64> {
    let (mut prev, mut curr) = (0u64, 1u64);
    if num < 2 {
        return Ok(num);
    }
    for _ in 1..num {
        (prev, curr) = (curr, prev + curr);
    }
    Ok(curr)
}
