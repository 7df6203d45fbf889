//! Electronic documents: registers, files and renditions, workflow state,
//! assignments, timelines and notifications (Decree 30/2020, Decree 64
//! Art. 33–39).
