//! Webhooks per the Standard Webhooks spec: signing (`sign`) and the retry schedule
//! (`schedule`). The outbox, dispatcher and endpoints API build on these (issue 6).

pub mod schedule;
pub mod sign;
