// The report's example browser: filters, pages, one <details> per example (no libraries).
const PAYLOAD = JSON.parse(document.getElementById('examples').textContent);
const DATA = PAYLOAD.rows, T = PAYLOAD.texts, P = PAYLOAD.prompts;
const PAGE = parseInt(document.getElementById('browser').dataset.page); let page = 0;
function el(tag, attrs, text){const e=document.createElement(tag);Object.assign(e,attrs||{});if(text!==undefined)e.textContent=text;return e;}
function selected(){const f=id=>document.getElementById(id).value;
  const conf=parseFloat(f('f-conf'))||0;
  return DATA.filter(x=>(f('f-run')===''||x.run===f('f-run'))&&(f('f-label')===''||x.label===f('f-label'))
    &&(f('f-verdict')===''||x.verdict===f('f-verdict'))&&((x.confidence===null?1:x.confidence)>=conf));}
function render(){const rows=selected();const box=document.getElementById('examples-list');box.replaceChildren();
  const pages=Math.max(1,Math.ceil(rows.length/PAGE));page=Math.min(page,pages-1);
  document.getElementById('count').textContent=rows.length+' examples, page '+(page+1)+' of '+pages;
  for(const x of rows.slice(page*PAGE,(page+1)*PAGE)){const d=el('details',{className:'ex'});
    const s=el('summary');s.append(el('span',{className:'run'},x.run),el('b',{},'['+x.verdict+'] '+x.label+' '),x.text);d.append(s);
    d.append(el('div',{className:'meta'},x.run+(x.confidence===null?'':'  confidence '+x.confidence.toFixed(2))));
    for(const [k,v] of [['seed',T[x.seed]],['passage',T[x.passage]],['demonstrations',x.demos.map(d=>T[d]).join('\n---\n')],['prompt',P[x.prompt]]])
      if(v){d.append(el('div',{className:'meta'},k));d.append(el('pre',{},v));}
    box.append(d);}}
for(const id of ['f-run','f-label','f-verdict','f-conf'])for(const ev of ['input','change'])document.getElementById(id).addEventListener(ev,()=>{page=0;render();});
document.getElementById('prev').onclick=()=>{page=Math.max(0,page-1);render();};
document.getElementById('next').onclick=()=>{page=page+1;render();};
render();
