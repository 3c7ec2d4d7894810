//! The agent's journal: an append-only file of JSON lines, each appended with `fdatasync`
//! before the agent acts on it. A job is journaled when received (with its document, so it
//! prints while the hub is unreachable), `start` right before its bytes go to the printer,
//! `unsent` when the printer refused it before anything reached it (a failed `lp`), `submitted`
//! with the spooler's job id once a CUPS queue took it, `printed`/`failed` once the printer
//! printed it (for CUPS: once the CUPS job completed, was cancelled or aborted), and `acked`
//! once the hub confirmed.
//!
//! Replaying the file rebuilds the queue after a crash: received jobs print, unacknowledged
//! outcomes are acknowledged, a job CUPS holds (`submitted`) is followed again rather than
//! sent again, and a job that was `start`ed but neither `unsent` nor `submitted` nor `printed`
//! is printed again with a note — the one case where a label may come out twice, because no
//! printer tells whether the bytes it got before the crash were printed.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE: &str = "journal.jsonl";
/// Acknowledged job ids remembered, to recognise a redelivery of a job already done.
const ACKED_KEPT: usize = 10_000;
/// Rewrite the file without finished jobs once it has grown this much.
const COMPACT_AFTER: u64 = 8 * 1024 * 1024;

/// A job as the hub delivered it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub tracking_number: String,
    pub format: String,
    pub copies: u32,
    pub media_type: String,
    /// The shipment's reference, for the CUPS job title (absent in older journals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The document, base64 as delivered.
    pub content: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Record {
    Job {
        job: Job,
    },
    Start {
        id: String,
    },
    /// Nothing reached the printer after all: back to received.
    Unsent {
        id: String,
    },
    /// A CUPS queue took the job as `cups_job` (e.g. `Dock-42`); it is followed, not resent.
    Submitted {
        id: String,
        cups_job: String,
        /// Sent again after a crash mid-print (the note survives another restart).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reprint: bool,
    },
    Printed {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Failed {
        id: String,
        detail: String,
    },
    Acked {
        id: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Received,
    /// Its bytes were being sent when the agent last stopped, or are being sent now.
    Started,
    Printed,
    Failed,
}

#[derive(Debug)]
struct Entry {
    job: Job,
    phase: Phase,
    /// Printed again after a crash mid-print.
    reprint: bool,
    detail: Option<String>,
    /// The CUPS job holding it, once `lp` succeeded.
    cups_job: Option<String>,
}

/// An outcome the hub has yet to hear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAck {
    pub id: String,
    /// `printed` or `failed`.
    pub status: &'static str,
    pub detail: Option<String>,
}

/// What `receive` made of a delivered job.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// New: journaled and queued for printing.
    New,
    /// Already held (a redelivery): nothing to do.
    Held,
    /// Already printed and acknowledged, yet delivered again: the hub missed the
    /// acknowledgement, so it is sent again.
    AckAgain,
}

pub struct Journal {
    path: PathBuf,
    file: File,
    written: u64,
    /// Unacknowledged jobs in the order received (the print order).
    order: VecDeque<String>,
    entries: HashMap<String, Entry>,
    acked: VecDeque<(String, PendingAck)>,
    /// Acknowledged jobs the hub delivered again.
    reack: Vec<PendingAck>,
}

impl Journal {
    /// Opens (or creates) the journal in `dir` and replays it. A torn last line (a crash
    /// mid-append) is dropped; damage anywhere else is an error, never silently skipped.
    pub fn open(dir: &Path) -> io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        let mut j = Journal {
            file: OpenOptions::new().create(true).append(true).open(&path)?,
            path,
            written: 0,
            order: VecDeque::new(),
            entries: HashMap::new(),
            acked: VecDeque::new(),
            reack: vec![],
        };
        let lines: Vec<String> = BufReader::new(File::open(&j.path)?)
            .lines()
            .collect::<io::Result<_>>()?;
        let last = lines.len().saturating_sub(1);
        for (n, line) in lines.iter().enumerate() {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => j.apply(r),
                Err(_) if n == last => {
                    tracing::warn!(
                        "journal: dropped a torn last record (the agent stopped mid-write)"
                    )
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} line {}: {e}", j.path.display(), n + 1),
                    ));
                }
            }
        }
        for e in j.entries.values_mut() {
            if e.phase == Phase::Started && e.cups_job.is_none() {
                e.reprint = true;
            }
        }
        // Start from a clean file: drops finished jobs and any torn line.
        j.compact()?;
        Ok(j)
    }

    fn apply(&mut self, r: Record) {
        match r {
            Record::Job { job } => {
                if !self.entries.contains_key(&job.id) && !self.is_acked(&job.id) {
                    self.order.push_back(job.id.clone());
                    self.entries.insert(
                        job.id.clone(),
                        Entry {
                            job,
                            phase: Phase::Received,
                            reprint: false,
                            detail: None,
                            cups_job: None,
                        },
                    );
                }
            }
            Record::Start { id } => self.set(&id, Phase::Started, None),
            Record::Unsent { id } => {
                if let Some(e) = self.entries.get_mut(&id)
                    && e.phase == Phase::Started
                    && e.cups_job.is_none()
                {
                    e.phase = Phase::Received;
                }
            }
            Record::Submitted {
                id,
                cups_job,
                reprint,
            } => {
                if let Some(e) = self.entries.get_mut(&id) {
                    e.phase = Phase::Started;
                    e.cups_job = Some(cups_job);
                    e.reprint |= reprint;
                }
            }
            Record::Printed { id, note } => self.set(&id, Phase::Printed, note),
            Record::Failed { id, detail } => self.set(&id, Phase::Failed, Some(detail)),
            Record::Acked { id } => {
                if let Some(e) = self.entries.remove(&id) {
                    self.order.retain(|x| *x != id);
                    let ack = pending(&id, &e);
                    self.acked.push_back((id, ack));
                    if self.acked.len() > ACKED_KEPT {
                        self.acked.pop_front();
                    }
                }
            }
        }
    }

    fn set(&mut self, id: &str, phase: Phase, detail: Option<String>) {
        if let Some(e) = self.entries.get_mut(id) {
            e.phase = phase;
            if detail.is_some() {
                e.detail = detail;
            }
        }
    }

    fn is_acked(&self, id: &str) -> bool {
        self.acked.iter().any(|(x, _)| x == id)
    }

    /// Appends and syncs one record, then applies it.
    fn append(&mut self, r: Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(&r).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.written += line.len() as u64;
        self.apply(r);
        if self.written > COMPACT_AFTER {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the file with only what is still needed: unacknowledged jobs and their
    /// progress, and the remembered acknowledged ids. Written aside, synced, then renamed
    /// over the old file, so a crash leaves one complete journal or the other.
    fn compact(&mut self) -> io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = io::BufWriter::new(File::create(&tmp)?);
        let mut put = |r: &Record| -> io::Result<()> {
            serde_json::to_writer(&mut out, r).map_err(io::Error::other)?;
            out.write_all(b"\n")
        };
        for (id, ack) in &self.acked {
            // A finished job is kept as a stub so a redelivery is recognised.
            put(&Record::Job {
                job: Job {
                    id: id.clone(),
                    tracking_number: String::new(),
                    format: String::new(),
                    copies: 0,
                    media_type: String::new(),
                    reference: None,
                    content: String::new(),
                },
            })?;
            put(&match ack.status {
                "failed" => Record::Failed {
                    id: id.clone(),
                    detail: ack.detail.clone().unwrap_or_default(),
                },
                _ => Record::Printed {
                    id: id.clone(),
                    note: ack.detail.clone(),
                },
            })?;
            put(&Record::Acked { id: id.clone() })?;
        }
        for id in &self.order {
            let e = &self.entries[id];
            put(&Record::Job { job: e.job.clone() })?;
            match e.phase {
                Phase::Received => {}
                Phase::Started => {
                    put(&Record::Start { id: id.clone() })?;
                    if let Some(cups_job) = &e.cups_job {
                        put(&Record::Submitted {
                            id: id.clone(),
                            cups_job: cups_job.clone(),
                            reprint: e.reprint,
                        })?;
                    }
                }
                Phase::Printed => put(&Record::Printed {
                    id: id.clone(),
                    note: e.detail.clone(),
                })?,
                Phase::Failed => put(&Record::Failed {
                    id: id.clone(),
                    detail: e.detail.clone().unwrap_or_default(),
                })?,
            }
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.written = 0;
        Ok(())
    }

    /// Journals a delivered job unless it is already held.
    pub fn receive(&mut self, job: Job) -> io::Result<Received> {
        if self.entries.contains_key(&job.id) {
            return Ok(Received::Held);
        }
        if let Some((_, ack)) = self.acked.iter().find(|(x, _)| *x == job.id) {
            if !self.reack.contains(ack) {
                self.reack.push(ack.clone());
            }
            return Ok(Received::AckAgain);
        }
        self.append(Record::Job { job })?;
        Ok(Received::New)
    }

    /// The next job to print, oldest first, whether it is a reprint after a crash, and the
    /// CUPS job that already holds it (to follow rather than send again).
    pub fn next_to_print(&self) -> Option<(Job, bool, Option<String>)> {
        self.order.iter().find_map(|id| {
            let e = &self.entries[id];
            matches!(e.phase, Phase::Received | Phase::Started)
                .then(|| (e.job.clone(), e.reprint, e.cups_job.clone()))
        })
    }

    /// Recorded right before the job's bytes go to the printer.
    pub fn start(&mut self, id: &str) -> io::Result<()> {
        if self
            .entries
            .get(id)
            .is_some_and(|e| e.phase == Phase::Received)
        {
            self.append(Record::Start { id: id.into() })?;
        }
        Ok(())
    }

    /// Recorded when the printer refused the job before any of it was sent (`lp` failed):
    /// the `start` no longer stands, so a restart does not take it for a possible copy.
    pub fn unsent(&mut self, id: &str) -> io::Result<()> {
        self.append(Record::Unsent { id: id.into() })
    }

    /// Recorded once a CUPS queue took the job, with CUPS's job id.
    pub fn submitted(&mut self, id: &str, cups_job: &str) -> io::Result<()> {
        let reprint = self.entries.get(id).is_some_and(|e| e.reprint);
        self.append(Record::Submitted {
            id: id.into(),
            cups_job: cups_job.into(),
            reprint,
        })
    }

    pub fn printed(&mut self, id: &str, note: Option<String>) -> io::Result<()> {
        self.append(Record::Printed {
            id: id.into(),
            note,
        })
    }

    pub fn failed(&mut self, id: &str, detail: String) -> io::Result<()> {
        self.append(Record::Failed {
            id: id.into(),
            detail,
        })
    }

    pub fn acked(&mut self, id: &str) -> io::Result<()> {
        self.reack.retain(|a| a.id != id);
        if self.entries.contains_key(id) {
            self.append(Record::Acked { id: id.into() })?;
        }
        Ok(())
    }

    /// Outcomes the hub has not confirmed, in print order.
    pub fn to_ack(&self) -> Vec<PendingAck> {
        let mut out: Vec<PendingAck> = self
            .order
            .iter()
            .filter_map(|id| {
                let e = &self.entries[id];
                matches!(e.phase, Phase::Printed | Phase::Failed).then(|| pending(id, e))
            })
            .collect();
        out.extend(self.reack.iter().cloned());
        out
    }

    /// Jobs held and not yet printed (or failed).
    pub fn unprinted(&self) -> usize {
        self.order
            .iter()
            .filter(|id| matches!(self.entries[*id].phase, Phase::Received | Phase::Started))
            .count()
    }
}

fn pending(id: &str, e: &Entry) -> PendingAck {
    PendingAck {
        id: id.to_string(),
        status: if e.phase == Phase::Failed {
            "failed"
        } else {
            "printed"
        },
        detail: e.detail.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            tracking_number: format!("T{id}"),
            format: "zpl".into(),
            copies: 1,
            media_type: "application/x-zpl".into(),
            reference: None,
            content: "Xlha".into(),
        }
    }

    #[test]
    fn a_replayed_journal_resumes_where_the_agent_stopped() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = Journal::open(dir.path()).unwrap();
            for id in ["a", "b", "c", "d"] {
                assert_eq!(j.receive(job(id)).unwrap(), Received::New);
            }
            assert_eq!(j.receive(job("b")).unwrap(), Received::Held);
            j.start("a").unwrap();
            j.printed("a", None).unwrap();
            j.acked("a").unwrap();
            j.start("b").unwrap();
            j.printed("b", None).unwrap();
            j.start("c").unwrap();
            // the agent dies here, with c's bytes possibly at the printer
        }
        let mut j = Journal::open(dir.path()).unwrap();
        // b's acknowledgement is still owed; c prints again, flagged; d prints normally
        assert_eq!(
            j.to_ack(),
            vec![PendingAck {
                id: "b".into(),
                status: "printed",
                detail: None
            }]
        );
        assert_eq!(j.next_to_print(), Some((job("c"), true, None)));
        j.printed("c", Some("reprinted".into())).unwrap();
        assert_eq!(j.next_to_print(), Some((job("d"), false, None)));
        assert_eq!(j.unprinted(), 1);
        // a redelivered, already acknowledged job is not printed again, only re-acknowledged
        assert_eq!(j.receive(job("a")).unwrap(), Received::AckAgain);
        assert_eq!(j.next_to_print().unwrap().0.id, "d");
        assert!(j.to_ack().iter().any(|p| p.id == "a"));
        j.acked("a").unwrap();
        assert!(!j.to_ack().iter().any(|p| p.id == "a"));
    }

    #[test]
    fn a_failed_lp_is_no_copy_and_a_job_cups_took_is_followed_not_resent() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = Journal::open(dir.path()).unwrap();
            for id in ["a", "b", "c"] {
                j.receive(job(id)).unwrap();
            }
            // a: lp failed (scheduler down); b: CUPS took it as Dock-7; c: the agent died
            // while lp ran
            j.start("a").unwrap();
            j.unsent("a").unwrap();
            j.start("b").unwrap();
            j.submitted("b", "Dock-7").unwrap();
            j.start("c").unwrap();
        }
        let mut j = Journal::open(dir.path()).unwrap();
        assert_eq!(j.next_to_print(), Some((job("a"), false, None)));
        j.start("a").unwrap();
        j.printed("a", None).unwrap();
        assert_eq!(
            j.next_to_print(),
            Some((job("b"), false, Some("Dock-7".into())))
        );
        j.printed("b", None).unwrap();
        assert_eq!(j.next_to_print(), Some((job("c"), true, None)));
        // an unsent record after CUPS took the job does not undo the submission
        j.submitted("c", "Dock-8").unwrap();
        j.unsent("c").unwrap();
        drop(j);
        let j = Journal::open(dir.path()).unwrap();
        assert_eq!(
            j.next_to_print(),
            Some((job("c"), true, Some("Dock-8".into())))
        );
    }

    #[test]
    fn a_torn_last_line_is_dropped_but_damage_elsewhere_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = Journal::open(dir.path()).unwrap();
            j.receive(job("a")).unwrap();
            j.receive(job("b")).unwrap();
        }
        let path = dir.path().join(FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"t":"start","id":"#).unwrap();
        drop(f);
        let j = Journal::open(dir.path()).unwrap();
        assert_eq!(j.next_to_print(), Some((job("a"), false, None)));
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("garbage\n{text}")).unwrap();
        let err = Journal::open(dir.path()).err().expect("damage is reported");
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn compaction_keeps_unfinished_jobs_and_remembers_acknowledged_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path()).unwrap();
        for n in 0..50 {
            let id = format!("j{n}");
            j.receive(job(&id)).unwrap();
            if n < 45 {
                j.start(&id).unwrap();
                j.printed(&id, None).unwrap();
                j.acked(&id).unwrap();
            }
        }
        let before = std::fs::metadata(dir.path().join(FILE)).unwrap().len();
        j.compact().unwrap();
        drop(j);
        let after = std::fs::metadata(dir.path().join(FILE)).unwrap().len();
        assert!(after < before, "{after} < {before}");
        let mut j = Journal::open(dir.path()).unwrap();
        assert_eq!(j.unprinted(), 5);
        assert_eq!(j.next_to_print().unwrap().0.id, "j45");
        assert_eq!(j.receive(job("j3")).unwrap(), Received::AckAgain);
    }
}
