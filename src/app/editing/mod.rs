//! The editing pages: each change is shown checked (the diff Asterisk's
//! rules passed, or why not, in place) before a form applies it.

mod checked;
mod delete;
mod new_extension;
mod review;
mod value_input;

pub use delete::DeletePage;
pub use new_extension::NewExtensionPage;
pub use review::ReviewPage;
pub use value_input::{FieldHelp, ValueInput};
