"""Students: classifiers distilled from synthetic data (``tfidf``, ``minilm``, plugins).

::

    from synthrr.students import get_student, load_student
    s = get_student("tfidf").fit(texts, labels)
    s.save("out/student"); load_student("out/student").predict(["some text"])

Multi-seed evaluation on real test data: :func:`synthrr.students.distill.distill`.
"""

from __future__ import annotations

from synthrr.students.base import STUDENTS, BaseStudent, Student, StudentOptions, get_student, load_student

__all__ = ["STUDENTS", "BaseStudent", "Student", "StudentOptions", "get_student", "load_student"]
