"""Server-rendered pages of the appraisers app (zh-hans first)."""
