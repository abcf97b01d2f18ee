//! [`Param`]: where in the request the translation stands, for the `param` of a 400
//! (`input[2].content[0].image_url`). Built step by step as the translation descends,
//! written out only when an error names it.

use std::fmt;

/// A path into the request body.
#[derive(Debug, Clone, Copy)]
pub struct Param<'p> {
    parent: Option<&'p Param<'p>>,
    step: Step,
}

/// One step of a [`Param`].
#[derive(Debug, Clone, Copy)]
enum Step {
    Member(&'static str),
    Element(usize),
}

impl Param<'_> {
    /// A member of the request.
    pub fn root(name: &'static str) -> Param<'static> {
        Param {
            parent: None,
            step: Step::Member(name),
        }
    }

    /// Member `name` of the value here.
    pub fn member(&self, name: &'static str) -> Param<'_> {
        Param {
            parent: Some(self),
            step: Step::Member(name),
        }
    }

    /// Element `index` of the list here.
    pub fn element(&self, index: usize) -> Param<'_> {
        Param {
            parent: Some(self),
            step: Step::Element(index),
        }
    }
}

impl fmt::Display for Param<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match (self.step, self.parent) {
            (Step::Member(name), None) => f.write_str(name),
            (Step::Member(name), Some(_)) => write!(f, ".{name}"),
            (Step::Element(index), _) => write!(f, "[{index}]"),
        }
    }
}
