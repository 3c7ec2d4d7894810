// placeholder until the rating bench lands (created by a sibling engineer)
fn main() {}
