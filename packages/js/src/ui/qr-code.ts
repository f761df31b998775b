import encodeQR from 'qr'

const SVG = 'http://www.w3.org/2000/svg'

/**
 * `text` as a QR code: an inline SVG drawn in this page (no image request, nothing leaves the
 * browser), one path of the dark modules, on a white quiet zone authenticator apps need.
 */
export function qrCodeSvg(text: string, label: string): SVGSVGElement {
  const modules = encodeQR(text, 'raw', { ecc: 'medium', border: 4 })
  const size = modules.length
  let d = ''
  modules.forEach((row, y) => {
    let x = 0
    while (x < size) {
      if (!row[x]) {
        x++
        continue
      }
      const start = x
      while (x < size && row[x]) x++
      d += `M${start} ${y}h${x - start}v1h${start - x}z`
    }
  })
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`)
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('shape-rendering', 'crispEdges')
  svg.setAttribute('class', 'lk-qr')
  const bg = document.createElementNS(SVG, 'rect')
  bg.setAttribute('width', String(size))
  bg.setAttribute('height', String(size))
  bg.setAttribute('fill', '#ffffff')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000000')
  svg.append(bg, path)
  return svg
}
