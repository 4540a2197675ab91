//! Ordered transformation chains and their allocation-free evaluation.

use super::{TransformationType, UnknownTransformation};

/// One entry of an AWS `TextTransformations` list: a priority (lower runs first) and a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TextTransformation {
    /// AWS `Priority`: the relative processing order; distinct within one list, not necessarily consecutive.
    pub priority: u32,
    /// AWS `Type`.
    pub kind: TransformationType,
}

/// Why an AWS `TextTransformations` list could not become a [`Chain`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Two entries share a priority; AWS requires them to be different.
    #[error("two text transformations have priority {0}; priorities must be different")]
    DuplicatePriority(u32),
    /// A `Type` was not one of the AWS transformation names.
    #[error(transparent)]
    Unknown(#[from] UnknownTransformation),
}

/// An ordered list of transformations applied one after another to a field's value.
///
/// Built from an AWS `TextTransformations` list ([`Chain::from_aws`]) or a plain sequence ([`Chain::new`]), and
/// normalised on construction: NONE steps are dropped (a NONE-only chain is the identity) and adjacent repeats of
/// an idempotent type (`LOWERCASE, LOWERCASE`) are merged. Two chains that always give the same result this way
/// compare equal and hash alike, so a compiler can evaluate each distinct (field, chain) once per request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chain {
    steps: Box<[TransformationType]>,
}

impl Chain {
    /// A chain of `steps` in the given order (normalised as described on [`Chain`]).
    pub fn new(steps: impl IntoIterator<Item = TransformationType>) -> Self {
        let mut out: Vec<TransformationType> = Vec::new();
        for step in steps {
            if step == TransformationType::None {
                continue;
            }
            if step.is_idempotent() && out.last() == Some(&step) {
                continue;
            }
            out.push(step);
        }
        Self {
            steps: out.into_boxed_slice(),
        }
    }

    /// The identity chain (no transformation).
    pub fn identity() -> Self {
        Self::default()
    }

    /// A chain from an AWS `TextTransformations` list: entries run from lowest to highest priority.
    ///
    /// Fails with [`ChainError::DuplicatePriority`] when two entries share a priority, as AWS rejects that.
    pub fn from_aws(transformations: &[TextTransformation]) -> Result<Self, ChainError> {
        let mut sorted = transformations.to_vec();
        sorted.sort_by_key(|t| t.priority);
        if let Some(pair) = sorted.windows(2).find(|w| w[0].priority == w[1].priority) {
            return Err(ChainError::DuplicatePriority(pair[0].priority));
        }
        Ok(Self::new(sorted.into_iter().map(|t| t.kind)))
    }

    /// Like [`Chain::from_aws`], from (priority, AWS type name) pairs as they appear in WebACL JSON.
    pub fn from_aws_names<'a>(entries: impl IntoIterator<Item = (u32, &'a str)>) -> Result<Self, ChainError> {
        let parsed = entries
            .into_iter()
            .map(|(priority, name)| {
                Ok(TextTransformation {
                    priority,
                    kind: name.parse()?,
                })
            })
            .collect::<Result<Vec<_>, UnknownTransformation>>()?;
        Self::from_aws(&parsed)
    }

    /// The steps, in application order, after normalisation.
    pub fn steps(&self) -> &[TransformationType] {
        &self.steps
    }

    /// True for a chain that leaves every value unchanged (empty, or NONE only).
    pub fn is_identity(&self) -> bool {
        self.steps.is_empty()
    }

    /// Applies the chain to `input`.
    ///
    /// The result borrows `input` itself when no step changed it (always, for an identity chain), otherwise one of
    /// `scratch`'s two buffers: each step reads one buffer and writes the other, so once the buffers have grown to
    /// the largest value seen, evaluation allocates nothing. Steps whose [`TransformationType::may_change`] check
    /// says they would not change the current value are skipped without copying, and byte-wise maps (LOWERCASE,
    /// UPPERCASE, REPLACE_NULLS) run in place once the value is in a scratch buffer.
    pub fn apply<'a>(&self, input: &'a [u8], scratch: &'a mut Scratch) -> &'a [u8] {
        self.apply_from(0, input, scratch)
    }

    /// The index of the first step whose [`TransformationType::may_change`] check is true on `input` (the number
    /// of steps when there is none): every step before it leaves `input` as it is, so the chain's result is that
    /// of the steps from this index on ([`Self::apply_from`]).
    pub fn first_change(&self, input: &[u8]) -> usize {
        self.steps
            .iter()
            .position(|s| s.may_change(input))
            .unwrap_or(self.steps.len())
    }

    /// Like [`Self::apply`], running only the steps from index `first` on (none when `first` is past the end).
    pub fn apply_from<'a>(&self, first: usize, input: &'a [u8], scratch: &'a mut Scratch) -> &'a [u8] {
        // Which buffer holds the current value: None = still `input`.
        let mut current: Option<usize> = None;
        for &step in self.steps.get(first..).unwrap_or_default() {
            let [a, b] = &mut scratch.bufs;
            match current {
                None => {
                    if !step.may_change(input) {
                        continue;
                    }
                    a.clear();
                    step.apply(input, a);
                    current = Some(0);
                }
                Some(i) => {
                    let (src, dst) = if i == 0 { (a, b) } else { (b, a) };
                    if !step.may_change(src) {
                        continue;
                    }
                    if step.is_bytewise_map() {
                        step.apply_in_place(src);
                        continue;
                    }
                    dst.clear();
                    step.apply(src, dst);
                    current = Some(1 - i);
                }
            }
        }
        match current {
            None => input,
            Some(i) => &scratch.bufs[i],
        }
    }

    /// Applies the chain and copies the result into `out` (replacing its contents); for callers that need an owned
    /// value.
    pub fn apply_into(&self, input: &[u8], scratch: &mut Scratch, out: &mut Vec<u8>) {
        let result = self.apply(input, scratch);
        out.clear();
        out.extend_from_slice(result);
    }
}

impl FromIterator<TransformationType> for Chain {
    /// Same as [`Chain::new`].
    fn from_iter<I: IntoIterator<Item = TransformationType>>(iter: I) -> Self {
        Self::new(iter)
    }
}

/// The two ping-pong buffers a [`Chain`] evaluates into; keep one per worker (or per request) and reuse it.
///
/// A `Scratch` only ever grows; its buffers keep their capacity between evaluations.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    bufs: [Vec<u8>; 2],
}

impl Scratch {
    /// Empty buffers; they grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Buffers pre-sized for values up to `capacity` bytes (UTF8_TO_UNICODE and the digests can exceed the input
    /// length; the buffers then grow once).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            bufs: [Vec::with_capacity(capacity), Vec::with_capacity(capacity)],
        }
    }

    /// The smaller of the two buffers' capacities: the value size evaluation can handle without allocating.
    pub fn capacity(&self) -> usize {
        self.bufs[0].capacity().min(self.bufs[1].capacity())
    }
}
