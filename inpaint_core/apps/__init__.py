"""Applications of inpainting from the survey (Zhao, *Image Inpainting*, 2018): each finds the pixels
to remove on its own, then fills them with any registered method.

- :mod:`.repair`: old-photo repair (scratches, cracks, dust, creases, torn corners, date stamps);
- :mod:`.dewatermark`: finding a known mark with SIFT + FLANN + RANSAC, and removing it (inpainting,
  or inverting the alpha blend where the mark is semi-transparent).

:mod:`.common` holds what they share (image conversion, detection scores).
"""
