//! The code that chapter 1 of the book shows, included by anchor and compiled here.
