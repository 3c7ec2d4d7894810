pub(crate) async fn conformance_harness() -> crate::conformance::Harness { todo!() }
