"""The signed PDF record of an appraisal: render (ReportLab), seal (pyHanko PAdES), verify.

- :mod:`records.content`: the plain data a record shows.
- :mod:`records.render`: ``render_record(content) -> bytes``, deterministic.
- :mod:`records.placement`: ``signature_boxes(pdf)``, where the two signatures go.
- :mod:`records.seal`: the organisation seal and ``sign_record(...)``.
- :mod:`records.verify`: ``verify_record(pdf, ...) -> Verdict``.
- :mod:`records.build`: ``build_content(session, appraisal_id) -> RecordContent``.
- :mod:`records.archive`: seal signed appraisals into the store, export, look up by SHA-256.
"""
