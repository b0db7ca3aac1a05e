"""The signed PDF record of an appraisal: render (ReportLab), seal (pyHanko PAdES), verify.

- :mod:`records.content`: the plain data a record shows.
- :mod:`records.render`: ``render_record(content) -> bytes``, deterministic.
- :mod:`records.placement`: ``signature_boxes(pdf)``, where the two signatures go.
- :mod:`records.seal`: the organisation seal and ``sign_record(...)``.
- :mod:`records.verify`: ``verify_record(pdf, ...) -> Verdict``.
- :mod:`records.build`: ``build_content(session, appraisal_id) -> RecordContent``.
- :mod:`records.record_sealing` (one appraisal) and :mod:`records.sealing_pipeline` (many,
  on a writer thread): seal signed appraisals into the store; :mod:`records.pdf_export`:
  write them to disk; :mod:`records.record_lookup`: what waits, and a record by SHA-256.
"""
